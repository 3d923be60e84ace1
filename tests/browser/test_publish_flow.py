"""A prompt editor and a publisher, in a real browser (Debian's Chromium driven by Playwright):
edit an agent's instructions, review the diff, publish, and the runtime sees it."""

import json
import os
import urllib.request

import pytest

from hive_portal.testing import make_api_key
from tests.browser.helpers import login as _login
from tests.browser.helpers import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _runtime_config(base, raw_key):
    request = urllib.request.Request(
        f"{base}/api/v1/agents/cards/config", headers={"Authorization": f"Bearer {raw_key}"}
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_editor_edits__publisher_reviews_and_publishes__runtime_sees_it(
    live_server, browser, make_agent, django_user_model
):
    agent = make_agent("cards", publish=True)
    make_person(django_user_model, "eddie", "Prompt editor")
    make_person(django_user_model, "paula", "Publisher")
    _, raw_key = make_api_key("browser-runtime", ["config:read"])
    base = live_server.url
    assert _runtime_config(base, raw_key)["instructions"][0] == "Be concise."

    csp_violations: list[str] = []

    def watched(page):
        page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
        return page

    # The prompt editor changes the first instruction and saves a draft.
    page = watched(browser.new_page())
    _login(page, base, "eddie")
    page.goto(f"{base}/admin/agents/agent/{agent.pk}/change/")
    first = page.locator("textarea[name=instructions__item]").first
    first.fill("Seja breve e cordial, em português.")
    page.fill("#id_change_note", "Friendlier first instruction")
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/agents/agent/")
    assert "was changed successfully" in page.content()
    assert _runtime_config(base, raw_key)["instructions"][0] == "Be concise."  # a draft is not live
    page.close()

    # The publisher opens the diff and publishes.
    page = watched(browser.new_page())
    _login(page, base, "paula")
    page.goto(f"{base}/admin/agents/agent/{agent.pk}/change/")
    page.click("#publish-link")
    inserted = page.locator(".hive-diff ins").all_inner_texts()
    assert any("cordial" in text for text in inserted), inserted
    assert any("breve" in text for text in inserted)
    page.click("#publish-button")
    page.wait_for_url(f"{base}/admin/agents/agent/{agent.pk}/change/")
    assert "The runtime serves it now" in page.content()
    page.screenshot(path=os.environ.get("HIVE_SCREENSHOT", "/tmp/hive-publish.png"), full_page=True)
    page.close()

    config = _runtime_config(base, raw_key)
    assert config["instructions"][0] == "Seja breve e cordial, em português."
    assert config["metadata"]["hive"]["version"] == 2
    assert csp_violations == []  # the admin's scripts all run under the Content-Security-Policy
