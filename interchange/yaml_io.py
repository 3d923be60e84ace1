"""Reading and writing agent and team configurations as YAML files (no database access here).

Two formats are read; what comes out is always the runtime configuration in Agno 3's parameter names,
the same shape ``agent_config`` / ``team_config`` produce (team members as ``{"agent_id", "position"}``).

**The portal's own format** (``format: hive-portal/v1``), one file per component, written by
``dump_document`` and read back to the identical configuration::

    format: hive-portal/v1
    kind: agent                 # or team
    exported: {version: 3, status: published, config_hash: …}   # informative; ignored on import
    config: {id: …, name: …, model: {provider, id, params}, instructions: […], …}

**Automagik Hive's ``config.yaml``** for agents (``agent:`` block) and teams (``team:`` block + ``members:``):

* ``agent:``/``team:`` → ``id`` (``agent_id``/``team_id``), ``name``, ``description``, ``role`` and, for
  teams, ``mode`` (``collaborate`` → ``broadcast``; a missing mode is ``route``, Hive's default). The
  upstream ``version`` (a number or ``dev``) is kept as ``metadata.hive_source.version``: the portal
  numbers its own versions.
* ``model:`` → ``{"provider", "id", "params"}``; every key besides provider and id is a model setting
  (temperature, max_tokens, …), except ``output_model``/``parser_model``/``reasoning_model``/
  ``followup_model``, which are Agno agent/team parameters and move to the top level in the same shape.
  Hive resolves ``openai`` to ``OpenAIChat`` (Chat Completions), so it becomes Agno 3's ``openai-chat``
  (``openai`` is the Responses API there, which has no ``max_tokens``); other names go through
  ``normalize_provider``. A missing provider is inferred from the model id (gpt-/o1-/o3- → openai-chat,
  claude- → anthropic, gemini- → google) as Hive did.
* ``instructions``: a list stays a list; a single string becomes ONE instruction, so the text survives
  as written. Prose (instructions, description, role, expected_output, additional_context,
  system_message) loses only the blank lines YAML block scalars add at its ends.
* Old names are mapped to Agno 3's (``AGNO3_RENAMES`` in ``common.agno_spec``: add_memory_references,
  add_session_summary_references, enable_user_memories → update_memory_on_run, search_session_history →
  search_past_sessions, num_history_sessions → num_past_sessions_to_search, …), each with a warning
  ``FILE:LINE: “memory.enable_user_memories” is called “update_memory_on_run” in Agno 3``.
* ``knowledge:`` is a grouping section in Hive (search_knowledge, enable_agentic_knowledge_filters, …):
  its Agno flags become agent parameters; ``knowledge_filter:`` (business_unit, max_results,
  relevance_threshold) becomes the agent's knowledge binding ``knowledge: {business_unit, max_results,
  max_distance}`` (max_distance = 1 - relevance_threshold), which the runtime resolves by name.
* A top-level key that is an Agno parameter (``db``, ``dependencies``, ``tool_choice``, …) is kept as
  it is. A top-level mapping that is not one (Hive's grouping sections ``memory:``, ``display:``,
  ``streaming:``, ``events:``, …) is flattened: its Agno parameters join the top level.
* Nothing else is dropped: keys Agno does not know (``mcp_servers``, ``success_criteria``,
  ``enable_knowledge``, ``memory.memory_retention_days``, ``display.show_tool_calls``, …) are kept
  under ``metadata.hive_source`` in their original grouping, where the runtime can still read them.
* A key set twice with different values (e.g. ``display.markdown`` and ``markdown``) is an error.

Every problem is reported as ``FILE:LINE: message``; lines come from the YAML node marks, so a bad value
is reported at its own key where the key is known, else at its section or its top-level key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from common.agno_documents import AgnoDocumentError, portal_config
from common.agno_spec import (
    AGNO3_RENAMES,
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    KNOWLEDGE_BINDING_KEYS,
    LEGACY_PARAMETER_KEYS,
    normalize_provider,
    normalize_team_mode,
)

FORMAT = "hive-portal/v1"
KINDS = ("agent", "team")
YAML_SUFFIXES = (".yaml", ".yml", ".json")  # JSON: Agno's serialized components (a JSON text is YAML)
AGNO_ORIGIN = "agno"

# Hive (Agno 1) names → Agno 3 names; each use is reported as a warning naming file and line.
HIVE_RENAMES: dict[str, str] = dict(AGNO3_RENAMES)
# Hive's knowledge_filter: keys → the portal's knowledge binding (relevance_threshold is a similarity,
# the binding holds a cosine distance: max_distance = 1 - relevance_threshold).
_KNOWLEDGE_FILTER_KEYS = {"business_unit": "business_unit", "category": "category", "max_results": "max_results"}
# Hive's provider names → Agno 3's, where they differ from ``normalize_provider``'s aliases.
HIVE_PROVIDERS: dict[str, str] = {"openai": "openai-chat"}
_MODEL_ID_PROVIDERS = ((r"^(gpt-|o1|o3|o4|chatgpt-)", "openai-chat"), (r"^claude", "anthropic"), (r"^gemini", "google"))
_MODEL_PARAMETERS = ("output_model", "parser_model", "reasoning_model", "followup_model")
PROSE_KEYS = ("description", "role", "expected_output", "additional_context", "system_message")
# Keys the identity block (agent:/team:) carries besides Agno parameters.
_IDENTITY_KEYS = {"agent": ("agent_id", "id", "version"), "team": ("team_id", "id", "version")}


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
class SkippedDocument:
    source: str
    reason: str


# --- Reading ------------------------------------------------------------------------------------


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named by ``paths``: files as given, directories searched recursively (hidden
    folders skipped), in a stable order and without duplicates."""
    found: list[Path] = []
    errors = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if candidate.suffix.lower() in YAML_SUFFIXES and candidate.is_file() and not any(
                    part.startswith(".") for part in relative
                ):
                    found.append(candidate)
        elif path.is_file():
            found.append(path)
        else:
            errors.append(ConfigFileError(str(path), None, "no such file or directory."))
    if errors:
        raise ConfigFileErrors(errors)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def read_file(path: str | Path) -> ComponentDocument | SkippedDocument:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(str(path), None, f"cannot be read ({exc.strerror}).") from None
    return read_document(data, source=str(path))


def read_document(data: str | bytes, *, source: str) -> ComponentDocument | SkippedDocument:
    """Parse one file's text. Raises ``ConfigFileError`` naming the line of the first problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ConfigFileError(source, line, "is not UTF-8 text.") from None
    node, value = _load(data, source)
    if value is None:
        raise ConfigFileError(source, 1, "the file is empty.")
    lines = _key_lines(node, source)
    if not isinstance(value, dict):
        raise ConfigFileError(source, _line(node), "expected a mapping of keys at the top of the file.")
    if "format" in value:
        return _read_portal(value, lines, source)
    if _looks_like_agno(value):
        return _read_agno(value, lines, source)
    if source.lower().endswith(".json"):
        return SkippedDocument(source, "not a serialized Agno agent or team (Agent.to_dict() / Team.to_dict()).")
    if "workflow" in value and "agent" not in value and "team" not in value:
        return SkippedDocument(source, "Automagik Hive workflows are not managed by the portal.")
    present = [k for k in KINDS if k in value]
    if len(present) != 1:
        what = "both agent: and team:" if len(present) == 2 else "no agent:, team: or format: key"
        raise ConfigFileError(
            source, 1, f"not an agent or team configuration ({what}); expected Automagik Hive's "
            f"agent:/team: block or the portal's format: {FORMAT}."
        )
    return _read_hive(value, lines, source, present[0])


# A component file needs few YAML aliases (``<<: *defaults``); more, or an alias inside its own anchor, is
# how an "alias bomb" makes a 2 KB file expand to gigabytes in anything that walks the tree.
MAX_ALIASES = 20
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64  # nesting of mappings and lists; a real config has fewer than 10


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing alias cycles, more than ``MAX_ALIASES`` aliases per file and nesting
    deeper than ``MAX_DEPTH`` (PyYAML composes recursively: deeper would be a ``RecursionError``)."""

    def __init__(self, stream, source: str):
        super().__init__(stream)
        self.source = source
        self.alias_count = 0
        self.depth = 0
        self.open_anchors: set[str] = set()

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ConfigFileError(
                    self.source, self.peek_event().start_mark.line + 1,
                    f"nested more than {MAX_DEPTH} levels deep.",
                )
            return self._compose_bounded(parent, index)
        finally:
            self.depth -= 1

    def _compose_bounded(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1
            if event.anchor in self.open_anchors:
                raise ConfigFileError(
                    self.source, line, f"the alias *{event.anchor} refers to its own anchor (an alias cycle)."
                )
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise ConfigFileError(
                    self.source, line, f"too many YAML aliases (more than {MAX_ALIASES}); write the values out."
                )
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            return super().compose_node(parent, index)
        self.open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.open_anchors.discard(anchor)


def _expanded_size(node, memo: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is written out (the tree is acyclic here)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, memo)
        if size > MAX_EXPANDED_NODES:
            break
    memo[id(node)] = size
    return size


def _load(text: str, source: str):
    loader = _BoundedLoader(text, source)
    try:
        node = loader.get_single_node()
        if node is not None and loader.alias_count and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise ConfigFileError(
                source, _line(node), f"the YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values."
            )
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = exc.context or ""
        if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += f" (line {exc.context_mark.line + 1})"
        message = ": ".join(p for p in (context, exc.problem) if p) or "invalid YAML"
        raise ConfigFileError(source, mark.line + 1 if mark else None, f"YAML syntax error: {message}.") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(source, None, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return node, value


def _line(node) -> int:
    return node.start_mark.line + 1


def _key_lines(node, source: str, prefix: tuple = ()) -> dict[tuple, int]:
    """Line of every mapping key, by its path of keys (sequence items by index); refuses duplicate keys,
    which PyYAML would otherwise silently resolve to the last one."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            path = (*prefix, key_node.value)
            if path in lines:
                raise ConfigFileError(
                    source, _line(key_node), f"“{key_node.value}” is set twice (first at line {lines[path]})."
                )
            lines[path] = _line(key_node)
            lines.update(_key_lines(value_node, source, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, index)] = _line(item)
            lines.update(_key_lines(item, source, (*prefix, index)))
    return lines


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


# --- The portal's format --------------------------------------------------------------------------


def _read_portal(value: dict, lines: dict[tuple, int], source: str) -> ComponentDocument:
    def err(key, message):
        return ConfigFileError(source, lines.get((key,), 1), message)

    if value.get("format") != FORMAT:
        raise err("format", f"unknown format {value.get('format')!r}; this portal reads {FORMAT}.")
    unknown = sorted(set(value) - {"format", "kind", "exported", "config"}, key=str)
    if unknown:
        raise err(unknown[0], f"unknown key “{unknown[0]}” (expected format, kind, exported and config).")
    kind = value.get("kind")
    if kind not in KINDS:
        raise err("kind" if "kind" in value else "format", f"kind must be agent or team, not {kind!r}.")
    config = value.get("config")
    if not isinstance(config, dict):
        raise err("config" if "config" in value else "format", "config must be a mapping of Agno parameters.")
    config_lines = {_dotted(p[1:]): line for p, line in lines.items() if p[:1] == ("config",) and len(p) > 1}
    doc = ComponentDocument(
        kind=kind, config={}, source=source, origin=FORMAT, lines=config_lines, line=lines.get(("config",), 1)
    )
    for key, item in config.items():
        new = LEGACY_PARAMETER_KEYS.get(key, key)
        if new != key:
            if new in config and config[new] != item:
                raise doc.error(
                    key, f"“{key}” (Agno 3: “{new}”) conflicts with “{new}” (line {doc.line_for(new)})."
                )
            doc.lines.setdefault(new, doc.line_for(key))
        doc.config[new] = item
    if not isinstance(doc.config.get("id"), str) or not doc.config["id"]:
        raise doc.error("id", f"config.id must name the {kind}.")
    doc.line = doc.line_for("id")
    _check_portal_shapes(doc)
    if kind == "team":
        members = doc.config.get("members", [])
        item_lines = [doc.lines.get(f"members.{i}") for i in range(len(members))] if isinstance(members, list) else []
        doc.config["members"] = _members(doc, members, item_lines)
    return doc


def _check_portal_shapes(doc: ComponentDocument) -> None:
    """The shapes the working copy's columns need, checked here so a mistake is reported at its line."""
    config = doc.config
    for key in ("model", *_MODEL_PARAMETERS):
        model = config.get(key)
        if isinstance(model, str) and ":" in model:  # Agno's "provider:model_id" string form
            provider, model_id = model.split(":", 1)
            config[key] = {"provider": provider, "id": model_id, "params": {}}
        elif model is not None and not (
            isinstance(model, dict) and isinstance(model.get("params", {}), dict)
        ):
            raise doc.error(key, f"{key} must be a mapping with provider, id and params (or “provider:model_id”).")
    if isinstance(config.get("instructions"), str):
        config["instructions"] = [config["instructions"]]
    for key in ("instructions", "tools"):
        if config.get(key) is not None and not isinstance(config[key], list):
            raise doc.error(key, f"{key} must be a list.")


# --- Agno's own serialized components -------------------------------------------------------------


def _looks_like_agno(value: dict) -> bool:
    """``Agent.to_dict()`` / ``Team.to_dict()``: an id and a model or members, and no Hive/portal blocks."""
    return (
        not any(k in value for k in ("agent", "team", "format"))
        and isinstance(value.get("id"), str)
        and ("model" in value or "members" in value)
    )


def _read_agno(value: dict, lines: dict[tuple, int], source: str) -> ComponentDocument:
    """A serialized Agno component (what AgentOS/Studio store, or ``export_components --format agno``)."""
    kind = "team" if ("members" in value or "mode" in value) else "agent"
    doc = ComponentDocument(
        kind=kind,
        config={},
        source=source,
        origin=AGNO_ORIGIN,
        lines={_dotted(p): line for p, line in lines.items()},
        line=lines.get(("id",), 1),
    )
    try:
        doc.config = portal_config(kind, value)
    except AgnoDocumentError as exc:
        raise doc.error(exc.key, str(exc)) from None
    _check_portal_shapes(doc)
    if kind == "team":
        members = doc.config.get("members", [])
        item_lines = [doc.lines.get(f"members.{i}") for i in range(len(members))]
        doc.config["members"] = _members(doc, members, item_lines)
    return doc


# --- Automagik Hive's format ------------------------------------------------------------------------


class _HiveReader:
    """Builds an Agno configuration from a Hive config, remembering where each key came from."""

    def __init__(self, value: dict, lines: dict[tuple, int], source: str, kind: str):
        self.value = value
        self.src = lines
        self.kind = kind
        self.known = AGNO_AGENT_PARAMETERS if kind == "agent" else AGNO_TEAM_PARAMETERS
        self.doc = ComponentDocument(
            kind=kind, config={}, source=source, origin="automagik-hive", line=lines.get((kind,), 1)
        )
        self.hive_source: dict[str, Any] = {}
        self.member_lines: list[int | None] = []
        self.binding: dict[str, Any] = {}  # the knowledge binding read from knowledge:/knowledge_filter:

    def fail(self, path: tuple, message: str) -> ConfigFileError:
        return ConfigFileError(self.doc.source, self.src.get(path, self.doc.line), message)

    def put(self, key: str, value: Any, path: tuple) -> None:
        """Set Agno key ``key`` read from ``path``; the same key twice must agree."""
        config = self.doc.config
        if key in PROSE_KEYS and isinstance(value, str):
            value = _block_text(value)
        if key == "mode" and isinstance(value, str):
            value = normalize_team_mode(value)
        if key in config and config[key] != value:
            first = self.doc.lines.get(key)
            raise self.fail(path, f"“{_dotted(path)}” sets {key} again, differently (first at line {first}).")
        config[key] = value
        self.doc.lines.setdefault(key, self.src.get(path, self.doc.line))

    def keep(self, path: tuple, value: Any) -> None:
        """Keep a key Agno does not know under metadata.hive_source, in its original grouping."""
        target = self.hive_source
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value

    def warn(self, path: tuple, message: str) -> None:
        self.doc.warnings.append(f"{self.doc.source}:{self.src.get(path, self.doc.line)}: {message}")

    def key(self, name: str, value: Any, path: tuple, *, flatten: bool) -> None:
        if name in HIVE_RENAMES:
            new = HIVE_RENAMES[name]
            self.warn(path, f"“{_dotted(path)}” is called “{new}” in Agno 3; imported as {new}.")
            name = new
        if name == "knowledge" and isinstance(value, dict):
            self.knowledge(value, path)
        elif name == "knowledge_filter" and isinstance(value, dict):
            self.knowledge_filter(value, path)
        elif name == "instructions":
            self.put("instructions", self.instructions(value, path), path)
        elif name == "members" and self.kind == "team":
            self.put("members", value, path)
            self.member_lines = [self.src.get((*path, index)) for index in range(len(value or []))]
        elif name == "model":
            self.model(value, path)
        elif name == "metadata":
            if not isinstance(value, dict):
                raise self.fail(path, "metadata must be a mapping.")
            self.put("metadata", dict(value), path)
        elif name in self.known and name != "id":
            self.put(name, value, path)
        elif flatten and isinstance(value, dict):
            for child, item in value.items():
                self.key(str(child), item, (*path, child), flatten=False)
        else:
            self.keep(path, value)

    def bind(self, key: str, value: Any, path: tuple) -> None:
        if key in self.binding and self.binding[key] != value:
            raise self.fail(path, f"“{_dotted(path)}” sets the knowledge {key} again, differently.")
        self.binding[key] = value
        self.doc.lines.setdefault(f"knowledge.{key}", self.src.get(path, self.doc.line))

    def knowledge(self, value: dict, path: tuple) -> None:
        """Hive's ``knowledge:`` section groups Agent flags (search_knowledge, …): they become the agent's
        parameters; binding keys (business_unit, max_results, …) become the knowledge binding."""
        for child, item in value.items():
            child_path = (*path, child)
            if child in KNOWLEDGE_BINDING_KEYS:
                self.bind(child, item, child_path)
            else:
                self.key(str(child), item, child_path, flatten=False)

    def knowledge_filter(self, value: dict, path: tuple) -> None:
        """Hive's ``knowledge_filter:`` (business unit, max results, relevance threshold) is the binding."""
        for child, item in value.items():
            child_path = (*path, child)
            if child in _KNOWLEDGE_FILTER_KEYS:
                self.bind(_KNOWLEDGE_FILTER_KEYS[child], item, child_path)
            elif child in ("relevance_threshold", "threshold"):
                if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 <= item <= 1:
                    raise self.fail(child_path, f"{_dotted(child_path)} must be a number between 0 and 1.")
                self.bind("max_distance", round(1 - float(item), 6), child_path)
            else:
                self.keep(child_path, item)

    def identity(self) -> None:
        block = self.value[self.kind]
        path = (self.kind,)
        if not isinstance(block, dict):
            raise self.fail(path, f"{self.kind}: must be a mapping (name, {self.kind}_id, version, …).")
        id_key = f"{self.kind}_id" if f"{self.kind}_id" in block else "id"
        component_id = block.get(id_key)
        if not isinstance(component_id, str) or not component_id.strip():
            raise self.fail(path, f"{self.kind}.{self.kind}_id is required (the {self.kind}'s stable identifier).")
        self.put("id", component_id.strip(), (*path, id_key))
        self.doc.line = self.src.get((*path, id_key), self.doc.line)
        for key, item in block.items():
            if key in (f"{self.kind}_id", "id"):
                continue
            if key == "version":
                self.hive_source["version"] = item
            elif key == "mode" and self.kind == "team":
                self.put("mode", item, (*path, key))
            else:
                self.key(str(key), item, (*path, key), flatten=False)

    def instructions(self, value: Any, path: tuple) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            text = _block_text(value)
            return [text] if text.strip() else []
        if isinstance(value, list):
            result = []
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.fail((*path, index), "each instruction must be text.")
                result.append(_block_text(item))
            return result
        raise self.fail(path, "instructions must be a text or a list of texts.")

    def model(self, value: Any, path: tuple, *, as_key: str = "model") -> None:
        if value is None:
            return
        if isinstance(value, str):
            value = dict(zip(("provider", "id"), value.split(":", 1))) if ":" in value else {"id": value}
        if not isinstance(value, dict):
            raise self.fail(path, f"{_dotted(path)} must be a mapping with provider and id.")
        settings = {}
        for key, item in value.items():
            if key in ("provider", "id"):
                continue
            if key in _MODEL_PARAMETERS and isinstance(item, dict) and as_key == "model":
                self.model(item, (*path, key), as_key=key)
            else:
                settings[key] = item
                self.doc.lines.setdefault(f"{as_key}.params.{key}", self.src.get((*path, key), self.doc.line))
        model_id = value.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise self.fail((*path, "id") if "id" in value else path, f"{_dotted(path)}.id must name the model.")
        model_id = model_id.strip()
        provider = value.get("provider")
        if provider is None and ":" in model_id:
            provider, model_id = model_id.split(":", 1)
        if provider is None:
            provider = next((p for pattern, p in _MODEL_ID_PROVIDERS if re.match(pattern, model_id.lower())), None)
            if provider is None:
                raise self.fail(path, f"{_dotted(path)}.provider is required: cannot tell it from “{model_id}”.")
        elif not isinstance(provider, str):
            raise self.fail((*path, "provider"), f"{_dotted(path)}.provider must be text.")
        else:
            provider = HIVE_PROVIDERS.get(provider.strip().lower(), provider)
        self.put(as_key, {"provider": normalize_provider(provider), "id": model_id, "params": settings}, path)
        for sub in ("provider", "id"):
            self.doc.lines.setdefault(f"{as_key}.{sub}", self.src.get((*path, sub), self.src.get(path, self.doc.line)))

    def read(self) -> ComponentDocument:
        self.identity()
        for key, item in self.value.items():
            if key != self.kind:
                self.key(str(key), item, (key,), flatten=True)
        config = self.doc.config
        if self.kind == "team":
            config.setdefault("mode", "route")  # Hive's team factory defaulted to route
            config["members"] = _members(self.doc, config.get("members", []), self.member_lines)
        if self.binding and self.kind == "agent":
            self.put("knowledge", self.binding, ("knowledge",))
        elif self.binding:
            self.keep(("knowledge",), self.binding)
        if self.hive_source:
            metadata = dict(config.get("metadata") or {})
            metadata["hive_source"] = self.hive_source
            config["metadata"] = metadata
        return self.doc


def _read_hive(value: dict, lines: dict[tuple, int], source: str, kind: str) -> ComponentDocument:
    return _HiveReader(value, lines, source, kind).read()


def _members(doc: ComponentDocument, value: Any, item_lines: list[int | None]) -> list[dict]:
    """Members as ``[{"agent_id", "position"}]`` in order, positions 1..n; from ids or from objects.

    Each member's line is remembered as ``members.@<agent_id>``, for errors about that member.
    """
    if value is None:
        value = []
    if not isinstance(value, list):
        raise doc.error("members", "members must be a list of agent ids.")
    entries = []
    for index, item in enumerate(value):
        line = item_lines[index] if index < len(item_lines) and item_lines[index] else doc.line_for("members")
        if isinstance(item, str):
            agent_id, position = item, index + 1
        elif isinstance(item, dict) and isinstance(item.get("agent_id"), str):
            agent_id, position = item["agent_id"], item.get("position", index + 1)
        else:
            raise ConfigFileError(doc.source, line, f"member {index + 1} must be an agent id.")
        agent_id = agent_id.strip()
        if not isinstance(position, int) or isinstance(position, bool):
            raise ConfigFileError(doc.source, line, f"member {agent_id}: the position must be a whole number.")
        if f"members.@{agent_id}" in doc.lines:
            raise ConfigFileError(doc.source, line, f"member {agent_id} is listed more than once.")
        doc.lines[f"members.@{agent_id}"] = line
        entries.append((position, index, agent_id))
    entries.sort()
    return [{"agent_id": agent_id, "position": number} for number, (_, _, agent_id) in enumerate(entries, start=1)]


def _block_text(text: str) -> str:
    """Drop the blank lines a YAML block scalar adds around a text; keep everything inside as written."""
    return text.lstrip("\n").rstrip()


# --- Writing --------------------------------------------------------------------------------------


# Texts PyYAML may write as literal blocks: printable characters and plain newlines only.
_BLOCK_SAFE = re.compile("[\n\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFF]*")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # every value written out in full, no &anchors
        return True

    def analyze_scalar(self, scalar):
        # PyYAML refuses a literal block when a line ends in a space, and its double-quoted fallback
        # escapes emoji ("\U0001F527"). A literal block keeps such spaces exactly (YAML 1.1, 8.1.2),
        # so prompts stay readable; texts ending in a space or holding control characters still get quotes.
        analysis = super().analyze_scalar(scalar)
        if not analysis.allow_block and "\n" in scalar and not scalar.endswith(" ") and _BLOCK_SAFE.fullmatch(scalar):
            analysis.allow_block = True
        return analysis


def _represent_str(dumper: yaml.SafeDumper, value: str):
    # Multi-line texts as literal blocks where YAML allows it (the emitter falls back to quotes otherwise).
    # YAML's other line breaks (NEL, LS, PS) do not survive PyYAML's unquoted or single-quoted styles:
    # double quotes escape them.
    if any(ch in value for ch in "\x85\u2028\u2029"):
        style = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_document(*, kind: str, config: dict, exported: dict | None = None) -> str:
    """The portal's YAML for one component; ``read_document`` gives back ``config`` unchanged."""
    if kind not in KINDS:
        raise ValueError(f"kind must be agent or team, not {kind!r}")
    document: dict[str, Any] = {"format": FORMAT, "kind": kind}
    if exported:
        document["exported"] = exported
    document["config"] = _ordered(config)
    header = f"# A Hive Portal {kind}. Import with: manage.py import_components <file or folder>\n"
    return header + yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


# The order keys are written in: what people read first, then the other parameters alphabetically. The
# database does not keep key order (jsonb sorts keys), so this also makes every export of a configuration
# byte-identical, whichever database it came from.
_KEY_ORDER = (
    "id", "name", "description", "role", "mode", "model", "instructions", "system_message", "expected_output",
    "additional_context", "tools", "members",
)  # fmt: skip
_MODEL_KEY_ORDER = ("provider", "id", "params")


def _ordered(config: dict) -> dict:
    def rank(order):
        return lambda key: (order.index(key), "") if key in order else (len(order), str(key))

    result = {}
    for key in sorted(config, key=rank(_KEY_ORDER)):
        value = config[key]
        if isinstance(value, dict) and (key == "model" or key in _MODEL_PARAMETERS):
            value = {k: value[k] for k in sorted(value, key=rank(_MODEL_KEY_ORDER))}
        result[key] = value
    return result


def export_path(kind: str, component_id: str) -> Path:
    """Where a component's file goes inside an export folder."""
    return Path(f"{kind}s") / f"{component_id}.yaml"
