"""Reading Automagik Hive's ``config.yaml`` for agents (``agent:`` block) and teams (``team:`` block + ``members:``)
into the runtime configuration in Agno 3's parameter names:

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
* An agent's ``capabilities:`` (names, or ``{name, description, parameters}``) and ``knowledge_domains:``
  (domains in priority order, or ``{domain, priority, description}``) are read as the portal's; the column names
  of Hive's instruction tables (``capability_name``, ``domain_name``, ``priority_level``) are mapped, with a warning.
* Nothing else is dropped: keys Agno does not know (``mcp_servers``, ``success_criteria``,
  ``enable_knowledge``, ``memory.memory_retention_days``, ``display.show_tool_calls``, …) are kept
  under ``metadata.hive_source`` in their original grouping, where the runtime can still read them.
* A key set twice with different values (e.g. ``display.markdown`` and ``markdown``) is an error.

Lines come from the YAML node marks, so a bad value is reported at its own key where the key is known, else at
its section or its top-level key.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext

from common.agno_spec import (
    AGNO3_RENAMES,
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    KNOWLEDGE_BINDING_KEYS,
    MODEL_KEYS,
    PROSE_KEYS,
    normalize_provider,
    normalize_team_mode,
)
from interchange.documents import ComponentDocument, ConfigFileError, dotted, members_in_order

# Hive (Agno 1) names → Agno 3 names; each use is reported as a warning naming file and line.
HIVE_RENAMES: dict[str, str] = dict(AGNO3_RENAMES)
# Hive's knowledge_filter: keys → the portal's knowledge binding (relevance_threshold is a similarity,
# the binding holds a cosine distance: max_distance = 1 - relevance_threshold).
_KNOWLEDGE_FILTER_KEYS = {"business_unit": "business_unit", "category": "category", "max_results": "max_results"}
# Hive's instruction tables (AGENT_CAPABILITY, AGENT_KNOWLEDGE_DOMAIN) → the portal's capability / domain keys.
_ROW_RENAMES = {"capability_name": "name", "domain_name": "domain", "priority_level": "priority"}
# Hive's provider names → Agno 3's, where they differ from ``normalize_provider``'s aliases.
HIVE_PROVIDERS: dict[str, str] = {"openai": "openai-chat"}
_MODEL_ID_PROVIDERS = ((r"^(gpt-|o1|o3|o4|chatgpt-)", "openai-chat"), (r"^claude", "anthropic"), (r"^gemini", "google"))


def read_hive(value: dict, lines: dict[tuple, int], source: str, kind: str) -> ComponentDocument:
    return _HiveReader(value, lines, source, kind).read()


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
            raise self.fail(
                path,
                gettext("“%(path)s” sets %(key)s again, differently (first at line %(line)s).")
                % {"path": dotted(path), "key": key, "line": first},
            )
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
            self.warn(
                path,
                gettext("“%(path)s” is called “%(new)s” in Agno 3; imported as %(new)s.")
                % {"path": dotted(path), "new": new},
            )
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
        elif name in ("capabilities", "knowledge_domains") and self.kind == "agent":
            self.rows(name, value, path)
        elif name == "model":
            self.model(value, path)
        elif name == "metadata":
            if not isinstance(value, dict):
                raise self.fail(path, gettext("metadata must be a mapping."))
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
            raise self.fail(
                path,
                gettext("“%(path)s” sets the knowledge %(key)s again, differently.")
                % {"path": dotted(path), "key": key},
            )
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
                    raise self.fail(
                        child_path, gettext("%(path)s must be a number between 0 and 1.") % {"path": dotted(child_path)}
                    )
                self.bind("max_distance", round(1 - float(item), 6), child_path)
            else:
                self.keep(child_path, item)

    def rows(self, name: str, value: Any, path: tuple) -> None:
        """An agent's ``capabilities:`` / ``knowledge_domains:`` (a list of names, or of mappings), each item's line
        remembered for errors. The column names of Hive's instruction tables (``capability_name``,
        ``domain_name``, ``priority_level``) are read as the portal's, with a warning."""
        if not isinstance(value, list):
            raise self.fail(path, gettext("%(path)s must be a list.") % {"path": dotted(path)})
        items = []
        for index, item in enumerate(value):
            item_path = (*path, index)
            self.doc.lines.setdefault(f"{name}.{index}", self.src.get(item_path, self.src.get(path, self.doc.line)))
            if isinstance(item, dict):
                item = dict(item)
                for old, new in _ROW_RENAMES.items():
                    if old in item and new not in item:
                        self.warn(
                            (*item_path, old),
                            gettext("“%(old)s” is called “%(new)s” in the portal; imported as %(new)s.")
                            % {"old": old, "new": new},
                        )
                        item[new] = item.pop(old)
            items.append(item)
        self.put(name, items, path)

    def identity(self) -> None:
        block = self.value[self.kind]
        path = (self.kind,)
        if not isinstance(block, dict):
            raise self.fail(
                path, gettext("%(kind)s: must be a mapping (name, %(kind)s_id, version, …).") % {"kind": self.kind}
            )
        id_key = f"{self.kind}_id" if f"{self.kind}_id" in block else "id"
        component_id = block.get(id_key)
        if not isinstance(component_id, str) or not component_id.strip():
            raise self.fail(
                path,
                gettext("%(kind)s.%(kind)s_id is required (the %(kind)s's stable identifier).") % {"kind": self.kind},
            )
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
                    raise self.fail((*path, index), gettext("each instruction must be text."))
                result.append(_block_text(item))
            return result
        raise self.fail(path, gettext("instructions must be a text or a list of texts."))

    def model(self, value: Any, path: tuple, *, as_key: str = "model") -> None:
        if value is None:
            return
        if isinstance(value, str):
            value = dict(zip(("provider", "id"), value.split(":", 1))) if ":" in value else {"id": value}
        if not isinstance(value, dict):
            raise self.fail(path, gettext("%(path)s must be a mapping with provider and id.") % {"path": dotted(path)})
        settings = {}
        for key, item in value.items():
            if key in ("provider", "id"):
                continue
            if key in MODEL_KEYS and key != "model" and isinstance(item, dict) and as_key == "model":
                self.model(item, (*path, key), as_key=key)
            else:
                settings[key] = item
                self.doc.lines.setdefault(f"{as_key}.params.{key}", self.src.get((*path, key), self.doc.line))
        model_id = value.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise self.fail(
                (*path, "id") if "id" in value else path,
                gettext("%(path)s.id must name the model.") % {"path": dotted(path)},
            )
        model_id = model_id.strip()
        provider = value.get("provider")
        if provider is None and ":" in model_id:
            provider, model_id = model_id.split(":", 1)
        if provider is None:
            provider = next((p for pattern, p in _MODEL_ID_PROVIDERS if re.match(pattern, model_id.lower())), None)
            if provider is None:
                raise self.fail(
                    path,
                    gettext("%(path)s.provider is required: cannot tell it from “%(model)s”.")
                    % {"path": dotted(path), "model": model_id},
                )
        elif not isinstance(provider, str):
            raise self.fail((*path, "provider"), gettext("%(path)s.provider must be text.") % {"path": dotted(path)})
        else:
            provider = HIVE_PROVIDERS.get(provider.strip().lower(), provider)
        self.put(as_key, {"provider": normalize_provider(provider), "id": model_id, "params": settings}, path)
        for sub in ("provider", "id"):
            self.doc.lines.setdefault(f"{as_key}.{sub}", self.src.get((*path, sub), self.src.get(path, self.doc.line)))

    def read(self) -> ComponentDocument:
        self.identity()
        for key, item in self.value.items():
            if key == "test_cases":
                self.warn(
                    (key,), gettext("test_cases are read from the portal's format only; kept as metadata.hive_source.")
                )
            if key != self.kind:
                self.key(str(key), item, (key,), flatten=True)
        config = self.doc.config
        if self.kind == "team":
            config.setdefault("mode", "route")  # Hive's team factory defaulted to route
            config["members"] = members_in_order(self.doc, config.get("members", []), self.member_lines)
        if self.binding and self.kind == "agent":
            self.put("knowledge", self.binding, ("knowledge",))
        elif self.binding:
            self.keep(("knowledge",), self.binding)
        if self.hive_source:
            metadata = dict(config.get("metadata") or {})
            metadata["hive_source"] = self.hive_source
            config["metadata"] = metadata
        return self.doc


def _block_text(text: str) -> str:
    """Drop the blank lines a YAML block scalar adds around a text; keep everything inside as written."""
    return text.lstrip("\n").rstrip()
