"""Reads for prompt fragments and variables, and the expansion of prompt text into what the runtime gets.

A configuration whose prompt texts hold no ``{{ … }}`` marker is returned as it is (its hash does not move).
One that does gets its texts expanded (fragments in, variables in Agno's ``{name}`` form) and a ``prompt`` entry:
``source`` (the texts as written, which rollback and import put back into the working copy), ``fragments`` (the
published version of every fragment used, nested ones too), ``variables`` (each variable used with its
declaration, None when undeclared) and ``problems`` (what keeps it from going live).
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _

from prompts.models import PromptFragment, PromptVariable
from prompts.rendering import Expansion, Lookup, agno_placeholders, describe_problem, expand, includes, texts_of
from versioning.models import ComponentVersion, VersionStatus

FRAGMENT = "fragment"
PROMPT = "prompt"


def fragment_list():
    return PromptFragment.objects.order_by("name")


def variable_list():
    return PromptVariable.objects.order_by("name")


def fragment_config(fragment: PromptFragment) -> dict:
    """A fragment's versioned configuration: its text as written (nested includes stay includes; whoever
    includes the fragment expands them with what is published then)."""
    return {
        "name": fragment.name,
        "title": fragment.title,
        "description": fragment.description or None,
        "text": fragment.text,
    }


def published_fragments() -> Lookup:
    """A lookup of the published, active fragments' (version, text), read once."""
    active = set(PromptFragment.objects.filter(is_active=True).values_list("name", flat=True))
    rows = ComponentVersion.objects.filter(
        component_type=FRAGMENT, status=VersionStatus.PUBLISHED, component_id__in=active
    ).values_list("component_id", "version", "config")
    texts = {name: (version, config.get("text", "")) for name, version, config in rows}
    return texts.get


def _declarations(names) -> dict[str, dict]:
    return {v.name: v.declaration() for v in PromptVariable.objects.filter(name__in=list(names))}


def _expand_text(value: Any, lookup: Lookup, found: Expansion) -> Any:
    if isinstance(value, str):
        return agno_placeholders(expand(value, lookup, found))
    if isinstance(value, list):
        return [_expand_text(item, lookup, found) for item in value]
    return value


def expand_prompt_config(config: dict, lookup: Lookup | None = None) -> dict:
    """``config`` (texts as written) as it is versioned and served: see the module's docstring."""
    sources = texts_of(config)
    if not sources:
        config.pop(PROMPT, None)
        return config
    lookup = lookup or published_fragments()
    found = Expansion()
    expanded = dict(config)
    for key, value in sources.items():
        expanded[key] = _expand_text(value, lookup, found)
    declared = _declarations(found.variables)
    expanded[PROMPT] = {
        "source": copy.deepcopy(sources),
        "fragments": dict(sorted(found.fragments.items())),
        "variables": {name: declared.get(name) for name in sorted(found.variables)},
        "problems": found.problems(),
        "missing": sorted(found.missing),
    }
    return expanded


def source_config(config: dict) -> dict:
    """A versioned configuration with its prompt texts as written (for rollback and import into the working copy)."""
    prompt = config.get(PROMPT)
    config = {key: value for key, value in config.items() if key != PROMPT}
    if isinstance(prompt, dict) and isinstance(prompt.get("source"), dict):
        config.update(copy.deepcopy(prompt["source"]))
    return config


def reexpand(config: dict, lookup: Lookup | None = None) -> dict:
    """A versioned configuration expanded again with what is published now."""
    return expand_prompt_config(source_config(config), lookup)


def prompt_problems(config: dict) -> list[str]:
    """Why a versioned configuration's prompts may not go live: fragments not published or in a cycle, malformed
    markers, variables not declared (checked against the catalogue now). In the active language: shown and
    raised, never stored (the configuration stores its own, English, ``problems``)."""
    prompt = config.get(PROMPT)
    if not isinstance(prompt, dict):
        return []
    problems = [describe_problem(problem) for problem in prompt.get("problems") or []]
    used = prompt.get("variables") or {}
    declared = set(PromptVariable.objects.filter(name__in=list(used)).values_list("name", flat=True))
    for name in sorted(used):
        if name not in declared:
            problems.append(
                _("uses the undeclared variable %(variable)s: declare it under Prompts › Variables")
                % {"variable": f"{{{{ {name} }}}}"}
            )
        elif used[name] is None:
            problems.append(
                _("uses %(variable)s, declared after this version was saved: save it again")
                % {"variable": f"{{{{ {name} }}}}"}
            )
    return problems


def fragments_used(config: dict) -> dict[str, int]:
    prompt = config.get(PROMPT)
    return dict(prompt.get("fragments") or {}) if isinstance(prompt, dict) else {}


def _refers_to(config: dict, name: str) -> bool:
    prompt = config.get(PROMPT)
    if not isinstance(prompt, dict):
        return False
    return name in (prompt.get("fragments") or {}) or name in (prompt.get("missing") or [])


def dependents(name: str) -> list[ComponentVersion]:
    """The published versions and open drafts of agents and teams (any kind but fragments) whose prompts include
    fragment ``name``, directly or through other fragments, or include it while it is not published."""
    rows = (
        ComponentVersion.objects.filter(
            status__in=[VersionStatus.PUBLISHED, VersionStatus.DRAFT], config__has_key=PROMPT
        )
        .exclude(component_type=FRAGMENT)
        .order_by("component_type", "component_id", "version")
    )
    return [row for row in rows if _refers_to(row.config, name)]


def fragment_users(name: str) -> list[tuple[str, str]]:
    """Who uses fragment ``name``: (component type, id), published or drafted, and the fragments whose text
    includes it, sorted."""
    return all_fragment_users().get(name, [])


def all_fragment_users() -> dict[str, list[tuple[str, str]]]:
    """``fragment_users`` for every fragment at once (two queries: a list page asks it once, not once a row)."""
    users: dict[str, set[tuple[str, str]]] = {}
    rows = (
        ComponentVersion.objects.filter(
            status__in=[VersionStatus.PUBLISHED, VersionStatus.DRAFT], config__has_key=PROMPT
        )
        .exclude(component_type=FRAGMENT)
        .values_list("component_type", "component_id", "config")
    )
    for component_type, component_id, config in rows:
        prompt = config.get(PROMPT) if isinstance(config, dict) else None
        if isinstance(prompt, dict):
            for name in [*(prompt.get("fragments") or {}), *(prompt.get("missing") or [])]:
                users.setdefault(name, set()).add((component_type, component_id))
    for fragment_name, text in PromptFragment.objects.filter(text__contains="{{>").values_list("name", "text"):
        for name in includes(text):
            if name != fragment_name:
                users.setdefault(name, set()).add((FRAGMENT, fragment_name))
    return {name: sorted(found) for name, found in users.items()}


def variable_users(name: str) -> list[str]:
    """The agents and teams whose published version or open draft uses variable ``name``, as "agent cards"."""
    rows = ComponentVersion.objects.filter(
        status__in=[VersionStatus.PUBLISHED, VersionStatus.DRAFT], config__has_key=PROMPT
    ).exclude(component_type=FRAGMENT)
    return sorted(
        {
            f"{row.component_type} {row.component_id}"
            for row in rows
            if name in (row.config[PROMPT].get("variables") or {})
        }
    )
