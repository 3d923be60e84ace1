"""The runtime document contract: a published configuration in Agno 3's own serialized shape.

What the portal versions (``agent_config`` / ``team_config`` snapshots) is its own format; what a runtime
receives is what Agno 3.1's ``Agent.to_dict()`` / ``Team.to_dict()`` write, so that
``Agent.from_dict(doc, registry=..., strict=True)`` and ``Team.from_dict(...)`` accept it as it is:

* ``model`` is flat: ``{"provider": "OpenAI", "name": "OpenAIChat", "id": "gpt-4o", "temperature": 0.2}``,
  ``provider``/``name`` as the model class's ``Model.to_dict()`` writes them and every model setting the
  portal holds beside them (Agno's own ``from_dict`` keeps only id/provider/name; the runtime client
  builds the class with all of them).
* ``tools`` are ``Function.to_dict()`` shapes (``name``, ``description``, ``parameters``), which
  ``Registry.rehydrate_functions`` binds to the application's functions by name.
* ``knowledge`` is a reference ``{"name": ...}``; the binding behind it (business unit, max results,
  max distance) travels in ``metadata.hive.knowledge``.
* A team's ``members`` are Agno member references ``{"type": "agent", "agent_id": ...}``; the referenced
  members' documents are delivered in the same response under ``metadata.hive.components.agents``, so
  one fetch is one consistent snapshot.
* Portal data sits under ``metadata.hive`` (version, content hash, published_at, members' versions).
  What Agno cannot rebuild from a document (a ``db`` without a URL) and keys that are not Agno
  parameters are kept under ``metadata.hive`` too, rather than dropped: ``db`` and ``parameters``.

Nothing here reads the database: the selectors hand over published snapshots.
"""

from __future__ import annotations

import copy
from typing import Any

from hive_portal.agno_spec import (
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    DEFAULT_KNOWLEDGE_NAME,
    KNOWLEDGE_BINDING_KEYS,
    MODEL_CLASSES,
    TEAM_MODE_FLAGS,
)

# Parameters whose value is a model specification.
MODEL_KEYS = ("model", "reasoning_model", "output_model", "parser_model", "followup_model")
# A function without declared parameters, as ``Function`` defaults it.
EMPTY_PARAMETERS = {"type": "object", "properties": {}, "required": []}
# Tool keys that are part of Agno's serialized Function; anything else on a portal tool is portal data.
FUNCTION_KEYS = ("name", "description", "parameters", "strict", "requires_confirmation", "external_execution")


def agno_model(spec: Any) -> Any:
    """The portal's ``{"provider", "id", "params"}`` as Agno's flat ``Model.to_dict()`` shape."""
    if not isinstance(spec, dict):
        return spec
    provider_key = spec.get("provider")
    name, provider = MODEL_CLASSES.get(provider_key, (None, provider_key))
    model: dict[str, Any] = {"provider": provider, "id": spec.get("id")}
    if name:
        model["name"] = name
    for key, value in (spec.get("params") or {}).items():
        if key not in model:
            model[key] = value
    return model


def knowledge_name(binding: dict) -> str:
    """The name the runtime registers the knowledge of a binding under (one per business unit)."""
    if binding.get("name"):
        return str(binding["name"])
    unit = binding.get("business_unit")
    return f"{DEFAULT_KNOWLEDGE_NAME}:{unit}" if unit else DEFAULT_KNOWLEDGE_NAME


def knowledge_binding(value: Any, known: frozenset) -> tuple[dict | None, dict]:
    """Split a stored ``knowledge`` value into (binding, Agno flags).

    Older imports stored Automagik Hive's ``knowledge:`` grouping as it was (``search_knowledge``,
    ``valid_metadata_filters``, ...): Agno flags inside it are lifted to the agent, the rest is the binding.
    """
    if value is None or value is False:
        return None, {}
    if not isinstance(value, dict):
        return {}, {}
    binding, flags = {}, {}
    for key, item in value.items():
        if key in known and key != "knowledge":
            flags[key] = item
        else:
            binding[key] = item
    return binding, flags


def function_dict(tool: Any) -> tuple[dict, dict]:
    """A portal tool (a name, or ``{name, description, parameters, ...}``) as Agno's serialized
    ``Function`` plus the portal-only settings of that tool (e.g. a toolkit's ``instructions``)."""
    if isinstance(tool, str):
        return {"name": tool, "parameters": copy.deepcopy(EMPTY_PARAMETERS)}, {}
    function = {key: tool[key] for key in FUNCTION_KEYS if key in tool and tool[key] is not None}
    function.setdefault("parameters", copy.deepcopy(EMPTY_PARAMETERS))
    extra = {key: value for key, value in tool.items() if key not in FUNCTION_KEYS}
    return function, extra


def _document(config: dict, hive: dict, known: frozenset) -> dict:
    config = copy.deepcopy(config)
    hive = dict(hive)
    extra_parameters: dict[str, Any] = {}
    stored_metadata = config.pop("metadata", None)
    binding, flags = knowledge_binding(config.pop("knowledge", None), known)
    document: dict[str, Any] = {}
    for key, value in config.items():
        if value is None or key in ("members", "position"):
            continue
        if key in MODEL_KEYS:
            document[key] = agno_model(value)
        elif key == "tools":
            functions, settings = [], {}
            for tool in value or []:
                function, extra = function_dict(tool)
                functions.append(function)
                if extra:
                    settings[function["name"]] = extra
            if functions:
                document["tools"] = functions
            if settings:
                hive["tools"] = settings
        elif key == "db":
            hive["db"] = value  # Agno cannot rebuild a db from a dict without a URL: the runtime supplies it
        elif key in known:
            document[key] = value
        else:
            extra_parameters[key] = value
    for key, value in flags.items():
        document.setdefault(key, value)
    if binding is not None:
        binding = {k: v for k, v in binding.items() if k in KNOWLEDGE_BINDING_KEYS or k not in known}
        binding["name"] = knowledge_name(binding)
        document["knowledge"] = {"name": binding["name"]}
        hive["knowledge"] = binding
    if extra_parameters:
        hive["parameters"] = extra_parameters
    metadata = dict(stored_metadata) if isinstance(stored_metadata, dict) else {}
    metadata["hive"] = hive
    document["metadata"] = metadata
    return document


def agent_document(config: dict, hive: dict) -> dict:
    """An agent's published snapshot as an ``Agent.to_dict()``-shaped document."""
    return _document(config, hive, AGNO_AGENT_PARAMETERS)


def team_document(config: dict, hive: dict, members: list[str], member_documents: dict[str, dict]) -> dict:
    """A team's published snapshot as a ``Team.to_dict()``-shaped document.

    ``members`` are the agent ids in position order; ``member_documents`` their agent documents,
    delivered in ``metadata.hive.components.agents``.
    """
    hive = dict(hive)
    hive["components"] = {"agents": member_documents}
    document = _document(config, hive, AGNO_TEAM_PARAMETERS)
    document["members"] = [{"type": "agent", "agent_id": agent_id} for agent_id in members]
    # The flags the mode sets when Agno builds the team, so the document is what Agno writes back.
    document.update(TEAM_MODE_FLAGS.get(document.get("mode"), {}))
    return document
