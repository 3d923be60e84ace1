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


def _page_texts(client, url: str, language: str) -> list[str] | None:
    client.cookies["django_language"] = language
    response = client.get(url)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    page = PageText()
    page.feed(response.content.decode())
    return page.texts


def _typed_texts() -> set[str]:
    """What people (and the demo loader) wrote, shown as written: change notes, audit reasons, environment names."""
    from django.conf import settings

    from audit.models import AuditRecord
    from versioning.models import ComponentVersion

    typed = set(AuditRecord.objects.values_list("reason", flat=True))
    typed |= set(ComponentVersion.objects.values_list("change_note", flat=True))
    typed |= {name.capitalize() for name in settings.HIVE_ENVIRONMENTS}
    return {text for text in typed if text}


def _shows_typed_text(text: str, typed: set[str]) -> bool:
    return text.rstrip(".:") in typed or any(len(note) >= 8 and note in text for note in typed)


def _portal_vocabulary() -> set[str]:
    """The English words of the portal's own messages (the catalogue's msgids)."""
    import polib
    from django.conf import settings

    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"))
    return {word for entry in catalogue for word in re.findall(r"[a-z]+", entry.msgid.lower())}


# The same in both languages on purpose: the brand, loanwords Portuguese uses as they are, and the roles' names
# (groups: data). Third-party apps of the Administration group (django-axes, procrastinate) bring their own texts.
SAME_IN_BOTH = {
    "Hive Portal",
    "Webhooks",
    "Prompts",
    "Prompt",
    "Runtimes",
    "Markdown",
    "Embedding",
    "Status",
    "Tokens",
    "Item",
}
ROLES = {"Admin", "Publisher", "Viewer", "Prompt editor"}
THIRD_PARTY = ("/admin/axes/", "/admin/procrastinate/")
THIRD_PARTY_MODELS = {"Access attempts", "Access failures", "Access logs"}  # django-axes', in the Admin's group
LABEL = re.compile(r"[A-Z][A-Za-z]*(?:[ ,'()/]+[A-Za-z]+)*[.:]?")  # words, as a title or label is written


def test_every_admin_page__no_label_left_in_english(client, django_user_model):
    """Short texts (titles, column names, links) have no English stop words: a text that reads the same on the
    English and the Portuguese page and is made of the portal's English words was never translated."""
    from hive_portal.demo import load_demo

    load_demo(io.StringIO())
    client.force_login(django_user_model.objects.get(username="admin"))
    vocabulary = _portal_vocabulary()
    typed = _typed_texts()
    untranslated: dict[str, str] = {}
    for url in sorted(_admin_pages()):
        if url.startswith(THIRD_PARTY):
            continue
        english = _page_texts(client, url, "en")
        if english is None:
            continue
        for text in set(english) & set(_page_texts(client, url, "pt-br") or []):
            words = re.findall(r"[a-z]+", text.lower())
            if (
                LABEL.fullmatch(text)
                and text.rstrip(".:") not in SAME_IN_BOTH | ROLES | THIRD_PARTY_MODELS
                and not _shows_typed_text(text, typed)
                and any(len(word) >= 4 for word in words)
                and all(word in vocabulary for word in words)
            ):
                untranslated.setdefault(text, url)
    assert untranslated == {}, "\n".join(f"{url}: {text}" for text, url in sorted(untranslated.items()))


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
    typed = _typed_texts()
    english: list[str] = []
    opened = 0
    for url in sorted(_admin_pages()):
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        opened += 1
        page = PageText()
        page.feed(response.content.decode())
        english += [
            f"{url}: {text[:120]}"
            for text in page.texts
            if len(set(ENGLISH_ONLY.findall(text.lower()))) >= 2 and not _shows_typed_text(text, typed)
        ]
    assert opened > 60
    assert english == [], "\n".join(english)
