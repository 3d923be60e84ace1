"""The browser tests' page fixture: a page logged in as a person in a role."""

import pytest

from tests.browser.helpers import login, make_person


@pytest.fixture
def page_as(live_server, browser, django_user_model):
    """``page_as(role, username=None, locale=None)``: a new browser page logged in as a fresh user in that role (or a superuser).
    Script errors and CSP violations are collected in ``page.errors`` and fail the test; a confirm() dialog
    is accepted."""
    pages = []

    def open_page(role: str, username: str | None = None, *, locale: str | None = None):
        username = username or role.lower().replace(" ", "-")
        if not django_user_model.objects.filter(username=username).exists():
            make_person(django_user_model, username, role)
        # locale: the browser's language (its Accept-Language header), e.g. "pt-BR"
        page = browser.new_page(locale=locale) if locale else browser.new_page()
        page.set_default_timeout(10_000)  # a click that sends nothing fails in 10 s, not Playwright's 30
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        # A script the Content-Security-Policy blocks is a page that silently does less: count it as an error.
        page.on("console", lambda m: page.errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("dialog", lambda dialog: dialog.accept())
        login(page, live_server.url, username)
        pages.append(page)
        return page

    yield open_page
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        page.close()
    assert errors == [], f"script errors or Content-Security-Policy violations: {errors}"
