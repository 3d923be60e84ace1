"""Every admin page a person can open, read in Portuguese: with the demo loaded, a superuser whose language is pt-BR
opens each list, add and change page and each page of the portal's own without arguments; no sentence of English
may be left on them (text the code never marked for translation, which the catalogue test cannot see). A sentence
counts as English when it holds two or more words Portuguese does not have (the, and, with, …)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ENGLISH_ONLY = re.compile(
    r"\b(the|and|with|is|are|this|that|was|were|which|your|you|has|have|will|must|of|to|for|from|when|it|be|an|or"
    r"|its|there|here|what|who|can|cannot|only|each|every|been|not|yet|in|on|at|by|into|all|than|then|these|those)\b",
    re.IGNORECASE,
)
OBJECT_PAGE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/(\w+/)?$")
# Text people typed is shown as they typed it (demo content, stored JSON): read only the page's own text.
UNREAD = ("script", "style", "textarea", "pre", "code", "option", "td")


class PageText(HTMLParser):
    """The visible text of a page and its accessible names (title, aria-label, placeholder)."""

    def __init__(self):
        super().__init__()
        self.skipping = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD:
            self.skipping += 1
        if tag == "input":
            return  # a row's selection box is named after the object (people's data)
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in UNREAD:
            self.skipping = max(0, self.skipping - 1)

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def _admin_pages() -> set[str]:
    pages = {"/admin/"}
    for model in admin.site._registry:
        opts = model._meta
        if not opts.managed:
            continue  # Agno's tables: read only, and absent until a runtime creates them
        for view in ("changelist", "add"):
            try:
                pages.add(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}"))
            except NoReverseMatch:
                pass
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            try:
                change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            except NoReverseMatch:
                continue
            pages.update({change, change.replace("/change/", "/history/")})
    for pattern in _patterns(get_resolver().url_patterns):
        if pattern.startswith("admin/") and "<" not in pattern and "(?P" not in pattern:
            pages.add("/" + pattern)  # the portal's own pages: dashboards, routing console, imports, …
        of_object = OBJECT_PAGE.match(pattern)
        if of_object:  # an object's own pages (publish, review, versions, compare, delete, …) for its first row
            try:
                model = apps.get_model(of_object["app"], of_object["model"])
            except LookupError:
                continue
            first = model._default_manager.order_by("pk").first() if model._meta.managed else None
            if first is not None:
                pages.add("/" + pattern.replace("<path:object_id>", str(first.pk)))
    pages.update(f"/admin/{app_label}/" for app_label in {model._meta.app_label for model in admin.site._registry})
    return pages


def test_every_admin_page__in_portuguese__no_english_sentence(client, django_user_model):
    from hive_portal.demo import load_demo

    load_demo(io.StringIO())
    # Pages in their other states too: an agent with a submitted draft (review form, diff), a prompt fragment.
    from agents.models import Agent
    from agents.services import agent_update
    from prompts.services import fragment_create
    from versioning.components import get_kind
    from versioning.services import draft_submit

    agent = Agent.objects.order_by("pk").first()
    agent_update(agent=agent, actor="test-setup", note="Tom", instructions=["Seja cordial.", "{{> tom }}"])
    fragment_create(actor="test-setup", note="Tom", name="tom", title="Tom", text="Fale com calma.")
    draft_submit(kind=get_kind("agent"), component_id=agent.agent_id, actor="test-setup")
    client.force_login(django_user_model.objects.get(username="admin"))
    client.cookies["django_language"] = "pt-br"
    english: list[str] = []
    opened = 0
    for url in sorted(_admin_pages()):
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        opened += 1
        page = PageText()
        page.feed(response.content.decode())
        english += [f"{url}: {text[:120]}" for text in page.texts if len(set(ENGLISH_ONLY.findall(text.lower()))) >= 2]
    assert opened > 60
    assert english == [], "\n".join(english)
