"""What reading a configuration file gives: a component's runtime configuration and where each key came from,
or the reason a file was skipped; and the errors that name a file and a line.

Every reader (``hive_format``, ``portal_format``, ``agno_format``) produces the runtime configuration in
Agno 3's parameter names, the same shape ``agent_config`` / ``team_config`` produce (team members as
``{"agent_id", "position"}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

KINDS = ("agent", "team")


class ConfigFileError(ValueError):
    """One problem in one file, named by file and (when known) line."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source = source
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line else f"{self.source}: {self.message}"


class ConfigFileErrors(ValueError):
    """Everything wrong with a set of files, reported at once so a user fixes them in one round."""

    def __init__(self, errors: Iterable[ConfigFileError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class ComponentDocument:
    """One agent or team read from a file: its runtime configuration and where each key came from."""

    kind: str
    config: dict
    source: str
    origin: str  # FORMAT or "automagik-hive"
    lines: dict[str, int] = field(default_factory=dict)  # dotted config key → line in the file
    line: int = 1  # of the component's identity (its id or its block)
    warnings: list[str] = field(default_factory=list)  # "FILE:LINE: message", e.g. a renamed parameter
    # The file's ``test_cases:`` (the portal's format only); None when the file has none, which leaves the
    # component's cases as they are.
    test_cases: list[CaseItem] | None = None

    @property
    def component_id(self) -> str:
        return self.config["id"]

    def line_for(self, key: str) -> int:
        """The line of ``key`` (dotted), else of its closest known parent, else of the component."""
        parts = key.split(".")
        while parts:
            found = self.lines.get(".".join(parts))
            if found:
                return found
            parts.pop()
        return self.line

    def error(self, key: str | None, message: str) -> ConfigFileError:
        return ConfigFileError(self.source, self.line_for(key) if key else self.line, message)


@dataclass
class CaseItem:
    """One item of a file's ``test_cases:``: the test case's fields (``EvalCase``'s names) and where it is."""

    fields: dict
    source: str
    number: int  # its position in test_cases, from 1
    line: int
    lines: dict[str, int] = field(default_factory=dict)  # key → line

    @property
    def name(self) -> str:
        return self.fields["name"]

    def error(self, key: str | None, message: str) -> ConfigFileError:
        """An error at ``key``'s line (the item's line when the key is not in it), naming the case."""
        name = self.fields.get("name")
        if isinstance(name, str) and name:
            text = gettext("test case %(number)s “%(name)s”: %(message)s")
        else:
            text = gettext("test case %(number)s: %(message)s")
        line = self.lines.get(key, self.line) if key else self.line
        return ConfigFileError(self.source, line, text % {"number": self.number, "name": name, "message": message})


@dataclass
class SkippedDocument:
    source: str
    reason: str


def members_in_order(doc: ComponentDocument, value: Any, item_lines: list[int | None]) -> list[dict]:
    """Members as ``[{"agent_id", "position"}]`` in order, positions 1..n; from ids or from objects.

    Each member's line is remembered as ``members.@<agent_id>``, for errors about that member.
    """
    if value is None:
        value = []
    if not isinstance(value, list):
        raise doc.error("members", gettext("members must be a list of agent ids."))
    entries = []
    for index, item in enumerate(value):
        found = item_lines[index] if index < len(item_lines) else None
        line = found or doc.line_for("members")
        if isinstance(item, str):
            agent_id, position = item, index + 1
        elif isinstance(item, dict) and isinstance(item.get("agent_id"), str):
            agent_id, position = item["agent_id"], item.get("position", index + 1)
        else:
            raise ConfigFileError(
                doc.source, line, gettext("member %(number)s must be an agent id.") % {"number": index + 1}
            )
        agent_id = agent_id.strip()
        if not isinstance(position, int) or isinstance(position, bool):
            raise ConfigFileError(
                doc.source,
                line,
                gettext("member %(agent)s: the position must be a whole number.") % {"agent": agent_id},
            )
        if f"members.@{agent_id}" in doc.lines:
            raise ConfigFileError(
                doc.source, line, gettext("member %(agent)s is listed more than once.") % {"agent": agent_id}
            )
        doc.lines[f"members.@{agent_id}"] = line
        entries.append((position, index, agent_id))
    entries.sort()
    return [{"agent_id": agent_id, "position": number} for number, (_, _, agent_id) in enumerate(entries, start=1)]


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)
