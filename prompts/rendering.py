"""Prompt text with fragments and variables, as people write it and as the runtime gets it.

People write ``{{> tone-of-voice }}`` to include the published text of the fragment named ``tone-of-voice`` and
``{{ customer_name }}`` for a value the runtime supplies when it runs. The runtime gets the text with every
fragment expanded and every variable in Agno's own placeholder form, ``{customer_name}``, which Agno fills from
the run's session state, dependencies or metadata. Pure functions: no database here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_noop

INCLUDE = re.compile(r"\{\{>\s*([a-z0-9][a-z0-9_-]*)\s*\}\}")
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything else between double braces (a typo such as ``{{> Tone }}`` or ``{{ customer name }}``) is refused.
MARKER = re.compile(r"\{\{.*?\}\}", re.DOTALL)
MAX_DEPTH = 10

# What expanding finds wrong, as the versioned configuration stores it (hashed with it): always these English
# clauses, whatever language is active. ``describe_problem`` shows a stored one in the page's language.
MISSING_PROBLEM = gettext_noop("includes the unpublished or unknown fragment “%(name)s”")
CYCLE_PROBLEM = gettext_noop("includes fragments in a cycle: %(chain)s")
MALFORMED_PROBLEM = gettext_noop(
    "has “%(marker)s”, which is neither an include ({{> name }}) nor a variable ({{ name }})"
)
_STORED_PROBLEMS = [
    (template, re.compile(re.escape(template).replace(re.escape(f"%({key})s"), f"(?P<{key}>.*)") + r"\Z", re.DOTALL))
    for template, key in ((MISSING_PROBLEM, "name"), (CYCLE_PROBLEM, "chain"), (MALFORMED_PROBLEM, "marker"))
]


def describe_problem(problem: str) -> str:
    """A problem as ``Expansion.problems`` stored it (English), in the active language; any other text as it is."""
    for template, pattern in _STORED_PROBLEMS:
        match = pattern.match(problem)
        if match:
            return gettext(template) % match.groupdict()
    return problem


# The configuration keys whose text may hold includes and variables (agents' and teams' alike).
PROMPT_KEYS = ("description", "role", "instructions", "system_message", "expected_output", "additional_context")


@dataclass
class Expansion:
    """What expanding some prompt text found."""

    fragments: dict[str, int] = field(default_factory=dict)  # name -> the published version used
    variables: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)  # included fragments that are not published
    cycles: list[list[str]] = field(default_factory=list)  # include chains that come back on themselves
    malformed: set[str] = field(default_factory=set)  # ``{{ … }}`` markers that are neither form

    def problems(self) -> list[str]:
        """What is wrong, in English whatever the active language: the versioned configuration stores these."""
        found = [MISSING_PROBLEM % {"name": name} for name in sorted(self.missing)]
        found += [CYCLE_PROBLEM % {"chain": " → ".join(chain)} for chain in self.cycles]
        found += [MALFORMED_PROBLEM % {"marker": marker} for marker in sorted(self.malformed)]
        return found


# A fragment's published (version, text) by name, or None when it has none.
Lookup = Callable[[str], "tuple[int, str] | None"]


def has_markers(text: str) -> bool:
    return "{{" in text


def includes(text: str) -> list[str]:
    """The fragment names ``text`` includes directly, in order, once each."""
    return list(dict.fromkeys(INCLUDE.findall(text)))


def variables(text: str) -> set[str]:
    return set(VARIABLE.findall(text))


def _malformed(text: str) -> set[str]:
    return {m for m in MARKER.findall(text) if not (INCLUDE.fullmatch(m) or VARIABLE.fullmatch(m))}


def expand(text: str, lookup: Lookup, expansion: Expansion | None = None, _chain: tuple[str, ...] = ()) -> str:
    """``text`` with every include replaced by the fragment's published text (recursively); variables stay as
    written. What was found is added to ``expansion``. An include that cannot be expanded (unpublished, or part of
    a cycle) stays in the text as written, and is recorded."""
    found = expansion if expansion is not None else Expansion()
    found.variables |= variables(text)
    found.malformed |= _malformed(text)

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in _chain:
            found.cycles.append([*_chain[_chain.index(name) :], name])
            return match.group(0)
        if len(_chain) >= MAX_DEPTH:
            found.cycles.append([*_chain, name])
            return match.group(0)
        published = lookup(name)
        if published is None:
            found.missing.add(name)
            return match.group(0)
        version, fragment_text = published
        found.fragments[name] = version
        return expand(fragment_text, lookup, found, (*_chain, name))

    return INCLUDE.sub(replace, text)


def agno_placeholders(text: str) -> str:
    """``{{ name }}`` as Agno's ``{name}``."""
    return VARIABLE.sub(lambda m: "{" + m.group(1) + "}", text)


def texts_of(config: dict, keys: Iterable[str] = PROMPT_KEYS) -> dict[str, str | list[str]]:
    """The prompt texts of a configuration that hold markers, by key (instructions stay a list)."""
    found: dict[str, str | list[str]] = {}
    for key in keys:
        value = config.get(key)
        if isinstance(value, str) and has_markers(value):
            found[key] = value
        elif isinstance(value, list) and any(isinstance(item, str) and has_markers(item) for item in value):
            found[key] = list(value)
    return found
