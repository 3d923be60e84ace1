"""What the prompt pages add to other admin pages: on a fragment's publish page, the agents and teams its release
publishes with it; on agents' and teams' forms, their prompt as the runtime gets it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prompts.rendering import PROMPT_KEYS
from prompts.selectors import FRAGMENT, PROMPT, dependents, prompt_problems, reexpand

_CHANGELISTS = {
    "agent": ("admin:agents_agent_changelist", "agent_id"),
    "team": ("admin:teams_team_changelist", "team_id"),
}


def _link(component_type: str, component_id: str) -> str:
    try:
        name, field = _CHANGELISTS[component_type]
        return f"{reverse(name)}?{field}={component_id}"
    except (KeyError, NoReverseMatch):
        return ""


# What people call each prompt text of a configuration.
_KEY_LABELS = {
    "description": _("description"),
    "role": _("role"),
    "instructions": _("instructions"),
    "system_message": _("system message"),
    "expected_output": _("expected output"),
    "additional_context": _("additional context"),
}
_TYPE_LABELS = {"agent": _("agent"), "team": _("team")}


def _key_label(key: str) -> str:
    return str(_KEY_LABELS.get(key, key.replace("_", " ")))


def _changed_keys(before: dict, after: dict) -> list[str]:
    return [_key_label(key) for key in PROMPT_KEYS if before.get(key) != after.get(key)]


def release_panel(request, *, kind, component_id: str, candidate, baseline, environment=None) -> str | None:
    """On a fragment's publish page: each agent and team whose live version gets a new one when this draft is
    published, and the open drafts expanded again."""
    if kind.type != FRAGMENT or candidate is None or environment not in (None, ""):
        return None
    published, drafts = [], []
    for row in dependents(component_id):
        entry = {"type": _TYPE_LABELS.get(row.component_type, row.component_type), "id": row.component_id,
                 "version": row.version, "url": _link(row.component_type, row.component_id)}  # fmt: skip
        if row.status == "published":
            entry["changes"] = ", ".join(
                _changed_keys(row.config, _with_candidate(row.config, component_id, candidate))
            )
            published.append(entry)
        else:
            drafts.append(entry)
    return render_to_string(
        "admin/prompts/release_panel.html",
        {"fragment": component_id, "published": published, "drafts": drafts},
        request=request,
    )


def _with_candidate(config: dict, name: str, candidate) -> dict:
    """``config`` expanded again as if ``candidate`` (a draft of fragment ``name``) were published."""
    from prompts.selectors import published_fragments

    live = published_fragments()

    def lookup(fragment: str):
        return (candidate.version, candidate.config.get("text", "")) if fragment == name else live(fragment)

    return reexpand(config, lookup)


def rendered_prompt(config: dict) -> str:
    """A component's prompt texts as the runtime gets them (fragments expanded), with the fragment versions used
    and what keeps it from going live; empty when its prompts include nothing and use no variable."""
    prompt = config.get(PROMPT)
    if not isinstance(prompt, dict):
        return ""
    rows = []
    for key in prompt.get("source") or {}:
        value = config.get(key)
        text = "\n".join(f"• {item}" for item in value) if isinstance(value, list) else str(value or "")
        rows.append((_key_label(key), text))
    fragments = ", ".join(f"{name} v{version}" for name, version in (prompt.get("fragments") or {}).items())
    problems = prompt_problems(config)
    return format_html(
        '{}<p class="help">{}</p><dl class="hive-rendered-prompt">{}</dl>',
        format_html(
            '<p class="errornote">{}</p>', gettext("Cannot go live: %(problems)s.") % {"problems": "; ".join(problems)}
        )
        if problems
        else "",
        gettext("Fragments: %(fragments)s") % {"fragments": fragments}
        if fragments
        else gettext("No fragment included."),
        format_html_join("", "<dt>{}</dt><dd><pre>{}</pre></dd>", rows),
    )
