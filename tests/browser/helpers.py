"""Browser test helpers: people in each role who log in through the real login page, and messages."""

from playwright.sync_api import expect

PASSWORD = "correct-horse-42"
BROWSER_ROLES = ("Prompt editor", "Publisher", "Admin", "superuser")


def make_person(django_user_model, username: str, role: str):
    from django.contrib.auth.models import Group

    if role == "superuser":
        return django_user_model.objects.create_superuser(username=username, password=PASSWORD)
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def assert_message(page, text: str) -> None:
    """The page's messages say ``text`` (retried until the page that says it has loaded)."""
    expect(page.locator("ul.messagelist")).to_contain_text(text)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus, as a keyboard user moves through a page."""
    import pytest

    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{selector} never received the keyboard focus")


def run_queued_jobs() -> None:
    """The queue's jobs, run by a real worker in a thread of its own: the worker runs an event loop, and
    Playwright's sync API already runs one in the test's thread."""
    from concurrent.futures import ThreadPoolExecutor

    from hive_portal.testing import run_pending_jobs

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run_pending_jobs).result()
