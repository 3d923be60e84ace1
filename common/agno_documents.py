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
* An agent's capabilities (``{name, description, parameters}`` in order) and knowledge domains (``{domain,
  priority, description}`` by priority) are not Agno parameters: they travel in ``metadata.hive.capabilities``
  and ``metadata.hive.knowledge_domains``, where ``Agent.from_dict`` leaves them to the runtime.
* Portal data sits under ``metadata.hive`` (version, content hash, published_at, members' versions).
  What Agno cannot rebuild from a document (a ``db`` without a URL) and keys that are not Agno
  parameters are kept under ``metadata.hive`` too, rather than dropped: ``db`` and ``parameters``.

Nothing here reads the database: the selectors hand over published snapshots.
"""

from __future__ import annotations

import copy
from typing import Any

from common.agno_spec import (
    AGNO_AGENT_PARAMETERS,
    AGNO_TEAM_PARAMETERS,
    DEFAULT_KNOWLEDGE_NAME,
    KNOWLEDGE_BINDING_KEYS,
    MODEL_CLASSES,
    MODEL_KEYS,
    TEAM_MODE_FLAGS,
)

# A function without declared parameters, as ``Function`` defaults it.
EMPTY_PARAMETERS = {"type": "object", "properties": {}, "required": []}
# Configuration keys the portal keeps beside Agno's, each in a place of its own under ``metadata.hive``.
HIVE_KEYS = ("capabilities", "knowledge_domains")
# Tool keys that are part of Agno's serialized Function; anything else on a portal tool is portal data.
FUNCTION_KEYS = ("name", "description", "parameters", "strict", "requires_confirmation", "external_execution")


def _mode_flags(mode: Any) -> dict[str, bool]:
    """The flags Agno sets for a team ``mode`` (none for an unknown or missing mode)."""
    return TEAM_MODE_FLAGS.get(mode, {}) if isinstance(mode, str) else {}


def agno_model(spec: Any) -> Any:
    """The portal's ``{"provider", "id", "params"}`` as Agno's flat ``Model.to_dict()`` shape."""
    if not isinstance(spec, dict):
        return spec
    provider_key = spec.get("provider")
    name, provider = (
        MODEL_CLASSES.get(provider_key, (None, provider_key)) if isinstance(provider_key, str) else (None, provider_key)
    )
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
        elif key in HIVE_KEYS:
            hive[key] = value
        elif key == "prompt":
            # The texts are expanded already; the runtime learns which fragment versions they hold and which
            # variables it must supply ({name} in the text, filled by Agno from the run's state or dependencies).
            hive["prompt"] = {"fragments": value.get("fragments") or {}, "variables": value.get("variables") or {}}
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


def team_document(config: dict, hive: dict, members: list[str], member_documents: dict[str, dict] | None) -> dict:
    """A team's published snapshot as a ``Team.to_dict()``-shaped document.

    ``members`` are the agent ids in position order; ``member_documents`` their agent documents,
    delivered in ``metadata.hive.components.agents`` (None: not included, as in an export file).
    """
    hive = dict(hive)
    if member_documents is not None:
        hive["components"] = {"agents": member_documents}
    document = _document(config, hive, AGNO_TEAM_PARAMETERS)
    document["members"] = [{"type": "agent", "agent_id": agent_id} for agent_id in members]
    # The flags the mode sets when Agno builds the team, so the document is what Agno writes back; the ones
    # the configuration did not set itself are named, so reading the document back leaves them out again.
    implied = {k: v for k, v in _mode_flags(document.get("mode")).items() if k not in document}
    document.update(implied)
    if implied:
        document["metadata"]["hive"]["mode_flags"] = sorted(implied)
    return document


# --- Agno's serialized components → the portal's configuration ------------------------------------------


class AgnoDocumentError(ValueError):
    """A serialized Agno component the portal cannot hold; ``key`` is the dotted key it is about."""

    def __init__(self, key: str | None, message: str):
        self.key = key
        super().__init__(message)


_PROVIDER_KEYS = {(name, provider): key for key, (name, provider) in reversed(list(MODEL_CLASSES.items()))}
_PROVIDER_KEYS[("OpenAIResponses", "OpenAI")] = "openai"  # the plain key, as the portal writes it


def portal_model(spec: Any, key: str = "model") -> dict | None:
    """Agno's flat model (``Model.to_dict()``, or a ``"provider:id"`` string) as the portal's
    ``{"provider", "id", "params"}``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if ":" not in spec:
            raise AgnoDocumentError(key, f"{key} must be “provider:model_id”, not {spec!r}.")
        provider, model_id = spec.split(":", 1)
        return {"provider": provider.strip().lower(), "id": model_id.strip(), "params": {}}
    if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
        raise AgnoDocumentError(key, f"{key} must be a model with an id (as Model.to_dict() writes it).")
    agno_provider, name = spec.get("provider"), spec.get("name")
    provider_key: str | None = (
        _PROVIDER_KEYS.get((name, agno_provider)) if isinstance(name, str) and isinstance(agno_provider, str) else None
    )
    if provider_key is None and isinstance(agno_provider, str) and agno_provider.lower() in MODEL_CLASSES:
        provider_key = agno_provider.lower()
    if provider_key is None:
        raise AgnoDocumentError(
            f"{key}.provider", f"{key}: unknown model class {name!r} of provider {agno_provider!r}."
        )
    params = {k: v for k, v in spec.items() if k not in ("provider", "name", "id")}
    return {"provider": provider_key, "id": spec["id"], "params": params}


def portal_tool(tool: Any, settings: dict) -> Any:
    """A ``Function.to_dict()`` dict as the portal's tool: a bare name when it declares nothing."""
    if isinstance(tool, str):
        return tool
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise AgnoDocumentError("tools", "each tool must be a Function dict with a name.")
    result = {k: v for k, v in tool.items() if k != "toolkit" and v not in (False, None)}
    if result.get("parameters") == EMPTY_PARAMETERS:
        del result["parameters"]
    result.update(settings.get(tool["name"], {}))
    return result["name"] if set(result) == {"name"} else result


def portal_config(kind: str, document: dict) -> dict:
    """A serialized Agno ``Agent``/``Team`` (``to_dict()``, or a portal runtime document) as the portal's
    configuration: ``export_components --format agno`` and this read each other back unchanged."""
    document = copy.deepcopy(document)
    metadata = document.pop("metadata", None)
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    hive = metadata.pop("hive", None) or {}
    config: dict[str, Any] = {}
    for key, value in document.items():
        if key in ("team_id", "workflow_id"):
            continue
        if key in MODEL_KEYS:
            config[key] = portal_model(value, key)
        elif key == "tools":
            config["tools"] = [portal_tool(tool, hive.get("tools") or {}) for tool in value or []]
        elif key == "knowledge":
            binding = dict(hive.get("knowledge") or {})
            name = value.get("name") if isinstance(value, dict) else None
            if not name:
                raise AgnoDocumentError("knowledge", "knowledge must be a reference {name: ...}.")
            if binding.get("name") == knowledge_name({**binding, "name": None}):
                binding.pop("name")  # the portal's own default name for this binding
            elif binding.get("name") != name:
                binding = {"name": name}
            config["knowledge"] = binding
        elif key == "members" and kind == "team":
            members = []
            for index, member in enumerate(value or []):
                if not isinstance(member, dict) or member.get("type") != "agent" or not member.get("agent_id"):
                    raise AgnoDocumentError(
                        f"members.{index}",
                        f"member {index + 1}: the portal's teams have agent members only, not {member!r}.",
                    )
                members.append({"agent_id": member["agent_id"], "position": index + 1})
            config["members"] = members
        else:
            config[key] = value
    if kind == "team":
        mode_flags = _mode_flags(config.get("mode"))
        implied = hive.get("mode_flags") if "mode_flags" in hive else list(mode_flags)
        for flag in implied or ():
            if config.get(flag) is mode_flags.get(flag):
                config.pop(flag)  # what the mode sets anyway
    if hive.get("db") is not None:
        config["db"] = hive["db"]
    for key in HIVE_KEYS:
        if hive.get(key):
            config[key] = hive[key]
    config.update(hive.get("parameters") or {})
    prompt = hive.get("prompt")
    if isinstance(prompt, dict) and isinstance(prompt.get("source"), dict):
        # An export's prompts as people wrote them: the import expands them again (a runtime document has none).
        config.update({key: value for key, value in prompt["source"].items() if key in config})
    if metadata:
        config["metadata"] = metadata
    return config
