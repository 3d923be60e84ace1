"""Which runtimes provide which tools, as the agents app learns it from above.

The runtime app records the tool names each runtime's Agno registry reports (``runtime.services``) and
registers a lookup here in its ``AppConfig.ready()``; the agents' admin asks through ``tool_providers`` and
never imports the runtime app (it is a layer above).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Provider:
    """A runtime that reported a tool: its name and version as it sent them, its API key's environment, and
    when it last reported."""

    runtime: str
    version: str
    environment: str
    last_seen: datetime


_lookups: list[Callable[[list[str]], dict[str, list[Provider]]]] = []


def register_tool_providers(lookup: Callable[[list[str]], dict[str, list[Provider]]]) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def tool_providers(names: Iterable[str]) -> dict[str, list[Provider]]:
    """Each name → the runtimes that reported it (most recently seen first); [] for a name nobody reported."""
    names = sorted(set(names))
    found: dict[str, list[Provider]] = {name: [] for name in names}
    for lookup in _lookups:
        for name, providers in lookup(names).items():
            found.setdefault(name, []).extend(providers)
    for providers in found.values():
        providers.sort(key=lambda p: p.last_seen, reverse=True)
    return found


def unprovided_tools(names: Iterable[str], *, environment: str | None = None) -> list[str]:
    """The names no runtime (of ``environment``, when given) has reported, sorted."""
    providers = tool_providers(names)
    return [
        name
        for name, found in sorted(providers.items())
        if not any(environment is None or p.environment == environment for p in found)
    ]
