"""What Agno 3 accepts, as data: model providers, team modes, agent/team parameters and their types.

The portal validates configurations against this before they can be saved, so a runtime never
receives a configuration that Agno would reject or silently ignore (an unknown team mode, a bare
model id, both history limits at once).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Agno 3's provider keys (agno.models.utils._PROVIDERS): the part before ":" in "provider:model_id".
MODEL_PROVIDERS: tuple[str, ...] = (
    "aimlapi", "anthropic", "aws-bedrock", "aws-claude", "azure-ai-foundry", "azure-foundry-claude",
    "azure-openai", "azure-openai-responses", "cerebras", "cerebras-openai", "cohere", "cometapi",
    "cloudflare", "dashscope", "deepinfra", "deepseek", "fireworks", "flexai", "google",
    "google-interactions", "groq", "huggingface", "ibm", "inception", "internlm", "langdb", "litellm",
    "litellm-openai", "llama-cpp", "llama-openai", "lmstudio", "meta", "minimax", "mistral", "moonshot",
    "nebius", "nexus", "nvidia", "ollama", "ollama-responses", "openai", "openai-chat",
    "openai-responses", "openrouter", "openrouter-responses", "perplexity", "portkey", "requesty",
    "sambanova", "siliconflow", "together", "vercel", "vertexai-claude", "vllm", "xai", "xai-responses",
)  # fmt: skip

# Names older configs use for a provider, mapped to Agno 3's key.
PROVIDER_ALIASES: dict[str, str] = {
    "azure": "azure-openai",
    "claude": "anthropic",
    "gemini": "google",
    "aws": "aws-bedrock",
    "bedrock": "aws-bedrock",
}

MODEL_PROVIDER_CHOICES = [(p, p) for p in MODEL_PROVIDERS]

# agno.team.TeamMode values; `collaborate` is the seeds' older name for broadcast.
TEAM_MODES: tuple[str, ...] = ("route", "coordinate", "broadcast", "tasks")
TEAM_MODE_CHOICES = [
    ("route", _("Route: send each request to one member")),
    ("coordinate", _("Coordinate: the leader delegates and combines")),
    ("broadcast", _("Broadcast: every member answers")),
    ("tasks", _("Tasks: the leader plans and runs tasks")),
]
TEAM_MODE_ALIASES: dict[str, str] = {"collaborate": "broadcast"}
# What each mode sets on the team when Agno builds it (agno/team/_init.py): the mode wins over the flags.
TEAM_MODE_FLAGS: dict[str, dict[str, bool]] = {
    "route": {"respond_directly": True, "delegate_to_all_members": False},
    "broadcast": {"respond_directly": False, "delegate_to_all_members": True},
    "coordinate": {"respond_directly": False, "delegate_to_all_members": False},
    "tasks": {"respond_directly": False, "delegate_to_all_members": False},
}

# Legacy keys from Automagik Hive configs and older Agno versions, mapped to Agno 3's names.
LEGACY_PARAMETER_KEYS: dict[str, str] = {
    "add_history_to_messages": "add_history_to_context",
    "add_datetime_to_instructions": "add_datetime_to_context",
    "storage": "db",
    "add_memory_references": "add_memories_to_context",
    "add_session_summary_references": "add_session_summary_to_context",
    "enable_user_memories": "update_memory_on_run",
    "stream_intermediate_steps": "stream_events",
}

# Agno 3.1 keyword parameters (agno.agent.Agent / agno.team.Team), checked against Agno in the tests.
_AGNO_COMMON = frozenset(
    [
        "add_datetime_to_context",
        "add_dependencies_to_context",
        "add_history_to_context",
        "add_knowledge_to_context",
        "add_learnings_to_context",
        "add_location_to_context",
        "add_memories_to_context",
        "add_name_to_context",
        "add_search_knowledge_instructions",
        "add_session_state_to_context",
        "add_session_summary_to_context",
        "additional_context",
        "additional_input",
        "cache_callables",
        "cache_session",
        "callable_knowledge_cache_key",
        "callable_tools_cache_key",
        "checkpoint",
        "compress_tool_results",
        "compression_manager",
        "datetime_format",
        "db",
        "debug_level",
        "debug_mode",
        "delay_between_retries",
        "dependencies",
        "description",
        "enable_agentic_knowledge_filters",
        "enable_agentic_memory",
        "enable_agentic_state",
        "enable_session_summaries",
        "events_to_skip",
        "expected_output",
        "exponential_backoff",
        "fallback_config",
        "fallback_models",
        "followup_model",
        "followups",
        "id",
        "input_schema",
        "instructions",
        "introduction",
        "knowledge",
        "knowledge_filters",
        "knowledge_retriever",
        "learning",
        "markdown",
        "max_tool_calls_from_history",
        "media_storage",
        "memory_manager",
        "metadata",
        "model",
        "name",
        "num_followups",
        "num_history_messages",
        "num_history_runs",
        "num_past_session_runs_in_search",
        "num_past_sessions_to_search",
        "offload_tool_results",
        "output_model",
        "output_model_prompt",
        "output_schema",
        "overwrite_db_session_state",
        "parse_response",
        "parser_model",
        "parser_model_prompt",
        "post_hooks",
        "pre_hooks",
        "read_chat_history",
        "reasoning_agent",
        "reasoning_model",
        "references_format",
        "resolve_in_context",
        "retries",
        "role",
        "search_knowledge",
        "search_past_sessions",
        "send_media_to_model",
        "session_id",
        "session_state",
        "session_summary_manager",
        "skills",
        "store_events",
        "store_history_messages",
        "store_media",
        "store_tool_messages",
        "stream",
        "stream_events",
        "system_message",
        "system_message_role",
        "telemetry",
        "timezone_identifier",
        "tool_call_limit",
        "tool_choice",
        "tool_hooks",
        "tools",
        "update_knowledge",
        "update_memory_on_run",
        "use_instruction_tags",
        "use_json_mode",
        "user_id",
    ]
)
AGNO_AGENT_PARAMETERS = _AGNO_COMMON | frozenset(
    [
        "build_context",
        "build_user_context",
        "compaction",
        "filesystem",
        "read_tool_call_history",
        "sandbox",
        "save_response_to_file",
        "structured_outputs",
        "user_message_role",
    ]
)
AGNO_TEAM_PARAMETERS = _AGNO_COMMON | frozenset(
    [
        "add_member_tools_to_context",
        "add_team_history_to_members",
        "callable_members_cache_key",
        "delegate_to_all_members",
        "determine_input_for_members",
        "get_member_information_tool",
        "max_iterations",
        "members",
        "mode",
        "num_team_history_runs",
        "respond_directly",
        "share_member_interactions",
        "show_members_responses",
        "store_member_responses",
        "stream_member_events",
    ]
)

# Agno 3's provider key → the model class's ``name`` and ``provider`` as ``Model.to_dict()`` writes them
# (agno.models.utils._PROVIDERS and each class's defaults; checked against Agno in the tests). Runtime
# documents carry these, so Agno's ``resolve_model`` and ``Registry.get_model`` find the right class.
MODEL_CLASSES: dict[str, tuple[str, str]] = {
    "aimlapi": ("AIMLAPI", "AIMLAPI"),
    "anthropic": ("Claude", "Anthropic"),
    "aws-bedrock": ("AwsBedrock", "AwsBedrock"),
    "aws-claude": ("AwsBedrockAnthropicClaude", "AwsBedrock"),
    "azure-ai-foundry": ("AzureAIFoundry", "Azure"),
    "azure-foundry-claude": ("AzureFoundryClaude", "AzureFoundry"),
    "azure-openai": ("AzureOpenAI", "Azure"),
    "azure-openai-responses": ("AzureOpenAIResponses", "Azure"),
    "cerebras": ("Cerebras", "Cerebras"),
    "cerebras-openai": ("CerebrasOpenAI", "CerebrasOpenAI"),
    "cohere": ("cohere", "Cohere"),
    "cometapi": ("CometAPI", "OpenAI"),
    "cloudflare": ("Cloudflare", "Cloudflare"),
    "dashscope": ("Qwen", "Dashscope"),
    "deepinfra": ("DeepInfra", "DeepInfra"),
    "deepseek": ("DeepSeek", "DeepSeek"),
    "fireworks": ("Fireworks", "Fireworks"),
    "flexai": ("FlexAI", "FlexAI"),
    "google": ("Gemini", "Google"),
    "google-interactions": ("GeminiInteractions", "Google"),
    "groq": ("Groq", "Groq"),
    "huggingface": ("HuggingFace", "HuggingFace"),
    "ibm": ("WatsonX", "IBM"),
    "inception": ("Inception", "InceptionLabs"),
    "internlm": ("InternLM", "InternLM"),
    "langdb": ("LangDB", "LangDB"),
    "litellm": ("LiteLLM", "LiteLLM"),
    "litellm-openai": ("LiteLLMOpenAI", "LiteLLM"),
    "llama-cpp": ("LlamaCpp", "LlamaCpp"),
    "llama-openai": ("LlamaOpenAI", "LlamaOpenAI"),
    "lmstudio": ("LMStudio", "LMStudio"),
    "meta": ("Llama", "Llama"),
    "minimax": ("MiniMax", "MiniMax"),
    "mistral": ("MistralChat", "Mistral"),
    "moonshot": ("Moonshot", "Moonshot"),
    "nebius": ("Nebius", "Nebius"),
    "nexus": ("Nexus", "Nexus"),
    "nvidia": ("Nvidia", "Nvidia"),
    "ollama": ("Ollama", "Ollama"),
    "ollama-responses": ("OllamaResponses", "Ollama"),
    "openai": ("OpenAIResponses", "OpenAI"),
    "openai-chat": ("OpenAIChat", "OpenAI"),
    "openai-responses": ("OpenAIResponses", "OpenAI"),
    "openrouter": ("OpenRouter", "OpenRouter"),
    "openrouter-responses": ("OpenRouterResponses", "OpenRouter"),
    "perplexity": ("Perplexity", "Perplexity"),
    "portkey": ("Portkey", "Portkey"),
    "requesty": ("Requesty", "Requesty"),
    "sambanova": ("Sambanova", "Sambanova"),
    "siliconflow": ("Siliconflow", "Siliconflow"),
    "together": ("Together", "Together"),
    "vercel": ("v0", "Vercel"),
    "vertexai-claude": ("Claude", "VertexAI"),
    "vllm": ("VLLM", "VLLM"),
    "xai": ("xAI", "xAI"),
    "xai-responses": ("xAIResponses", "xAI"),
}

# Parameters Agno 3 renamed or removed since the versions Automagik Hive configs were written for
# (Agno 3 migration guide): old name → new name. Importers map them and warn with file and line.
AGNO3_RENAMES: dict[str, str] = {
    **LEGACY_PARAMETER_KEYS,
    "search_session_history": "search_past_sessions",
    "num_history_sessions": "num_past_sessions_to_search",
    "add_references": "add_knowledge_to_context",
}

# The portal's knowledge binding of an agent (``knowledge`` parameter): which knowledge the runtime
# resolves by name, filtered to a business unit, how many results, and how close they must be.
KNOWLEDGE_BINDING_KEYS = ("name", "business_unit", "category", "max_results", "max_distance", "valid_metadata_filters")
DEFAULT_KNOWLEDGE_NAME = "hive-portal"

_BOOL = "boolean"
_INT = "integer"
_STR = "text"
_NUM = "number"
_ANY = "any"

# Parameters whose value is a model specification (``{"provider", "id", "params"}`` in a configuration).
MODEL_KEYS = ("model", "reasoning_model", "output_model", "parser_model", "followup_model")
# Parameters holding prose: diffs compare them word by word, importers keep them as written.
PROSE_KEYS = ("system_message", "description", "role", "expected_output", "additional_context")

# Keys every agent / team configuration carries, so runtimes can rely on them (Agno's defaults otherwise).
DEFAULT_AGENT_PARAMETERS = {
    "expected_output": None,
    "markdown": False,
    "add_history_to_context": False,
    "num_history_runs": None,
    "knowledge": None,
}
DEFAULT_TEAM_PARAMETERS = {
    "expected_output": None,
    "markdown": False,
    "add_history_to_context": False,
    "num_history_runs": None,
}

# Agent parameters the portal models beyond the dedicated columns, with their types.
AGENT_PARAMETERS: dict[str, str] = {
    "markdown": _BOOL,
    "add_history_to_context": _BOOL,
    "num_history_runs": _INT,
    "num_history_messages": _INT,
    "add_datetime_to_context": _BOOL,
    "expected_output": _STR,
    "additional_context": _STR,
    "tool_call_limit": _INT,
    "retries": _INT,
    "tool_choice": _ANY,
    "metadata": _ANY,
    "knowledge": _ANY,
    "db": _ANY,
}
TEAM_PARAMETERS: dict[str, str] = {
    "role": _STR,
    "respond_directly": _BOOL,
    "delegate_to_all_members": _BOOL,
    "determine_input_for_members": _BOOL,
    "max_iterations": _INT,
    "markdown": _BOOL,
    "add_history_to_context": _BOOL,
    "num_history_runs": _INT,
    "add_datetime_to_context": _BOOL,
    "expected_output": _STR,
    "additional_context": _STR,
    "metadata": _ANY,
    "db": _ANY,
}

# Keys that have their own column: they may not hide in the free parameters.
RESERVED_KEYS = frozenset(
    {"id", "agent_id", "team_id", "name", "description", "role", "instructions", "system_message", "tools",
     "model", "members", "mode", "version"}
)  # fmt: skip
# An agent's capabilities and knowledge domains are rows of their own (agents.models), not free parameters.
RESERVED_AGENT_KEYS = RESERVED_KEYS | {"capabilities", "knowledge_domains"}
RESERVED_TEAM_KEYS = RESERVED_KEYS - {"role"}

# Model settings whose type and range the portal knows; others pass through to the model class.
MODEL_SETTINGS: dict[str, tuple[str, float | None, float | None]] = {
    "temperature": (_NUM, 0.0, 2.0),
    "top_p": (_NUM, 0.0, 1.0),
    "max_tokens": (_INT, 1, 10_000_000),
    "max_output_tokens": (_INT, 1, 10_000_000),
    "max_completion_tokens": (_INT, 1, 10_000_000),
    "frequency_penalty": (_NUM, -2.0, 2.0),
    "presence_penalty": (_NUM, -2.0, 2.0),
    "seed": (_INT, None, None),
    "timeout": (_NUM, 0.0, 3600.0),
    "max_retries": (_INT, 0, 100),
    "reasoning_effort": (_STR, None, None),
}

# Function names the model providers accept (OpenAI, Anthropic: ^[a-zA-Z0-9_-]{1,64}$).
TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

NONNEGATIVE_INTS = {"num_history_runs", "num_history_messages", "retries", "tool_call_limit", "max_iterations"}


def normalize_provider(value: str) -> str:
    key = (value or "").strip().lower()
    return PROVIDER_ALIASES.get(key, key)


def normalize_team_mode(value: str) -> str:
    key = (value or "").strip().lower()
    return TEAM_MODE_ALIASES.get(key, key)


def _must_be(key: str, kind: str, value: Any) -> str:
    """“{key} must be a boolean, not 'yes'.” — a whole sentence per kind (each language words it its own way)."""
    sentences = {
        _BOOL: gettext("%(key)s must be a boolean, not %(value)s."),
        _INT: gettext("%(key)s must be an integer, not %(value)s."),
        _NUM: gettext("%(key)s must be a number, not %(value)s."),
        _STR: gettext("%(key)s must be a text, not %(value)s."),
    }
    return sentences[kind] % {"key": key, "value": repr(value)}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == _STR:
        return isinstance(value, str)
    return True


def validate_model_settings(settings: Any, *, field: str = "model_settings") -> None:
    """Raise ``ValidationError({field: ...})`` unless ``settings`` is an object of sane model settings."""
    if not isinstance(settings, dict):
        raise ValidationError({field: gettext("Model settings must be a set of named values (a JSON object).")})
    errors = []
    for key, value in settings.items():
        if not isinstance(key, str) or not key.isidentifier():
            errors.append(gettext("“%(key)s” is not a valid setting name.") % {"key": key})
            continue
        spec = MODEL_SETTINGS.get(key)
        if spec is None:
            continue
        kind, low, high = spec
        if not _type_ok(kind, value):
            errors.append(_must_be(key, kind, value))
        elif kind in (_INT, _NUM) and ((low is not None and value < low) or (high is not None and value > high)):
            errors.append(
                gettext("%(key)s must be between %(low)s and %(high)s, not %(value)s.")
                % {"key": key, "low": f"{low:g}", "high": f"{high:g}", "value": value}
            )
    if errors:
        raise ValidationError({field: errors})


def validate_parameters(parameters: Any, *, kind: str, field: str = "parameters") -> None:
    """Validate the free Agno parameters of an agent (``kind='agent'``) or team (``kind='team'``)."""
    if not isinstance(parameters, dict):
        raise ValidationError({field: gettext("Parameters must be a set of named values (a JSON object).")})
    known = AGENT_PARAMETERS if kind == "agent" else TEAM_PARAMETERS
    reserved = RESERVED_AGENT_KEYS if kind == "agent" else RESERVED_TEAM_KEYS
    errors = []
    for key, value in parameters.items():
        if not isinstance(key, str) or not key.isidentifier():
            errors.append(gettext("“%(key)s” is not a valid parameter name.") % {"key": key})
        elif key in reserved:
            errors.append(
                gettext("“%(key)s” has its own field; set it there, not among the parameters.") % {"key": key}
            )
        elif key in AGNO3_RENAMES:
            errors.append(
                gettext("“%(key)s” is an old name; Agno 3 calls it “%(new)s”.")
                % {"key": key, "new": AGNO3_RENAMES[key]}
            )
        elif key in known and not _type_ok(known[key], value):
            errors.append(_must_be(key, known[key], value))
        elif key in NONNEGATIVE_INTS and value < 0:
            errors.append(gettext("%(key)s cannot be negative.") % {"key": key})
    if parameters.get("knowledge") not in (None, False):
        errors.extend(knowledge_binding_errors(parameters["knowledge"], kind=kind))
    if "num_history_runs" in parameters and "num_history_messages" in parameters:
        errors.append(gettext("Set num_history_runs or num_history_messages, not both (Agno would drop one)."))
    if errors:
        raise ValidationError({field: errors})


def knowledge_binding_errors(binding: Any, *, kind: str) -> list[str]:
    """The knowledge binding the runtime resolves by name: ``{business_unit, category, max_results,
    max_distance, valid_metadata_filters, name}``, all optional."""
    if kind != "agent":
        return [gettext("knowledge: only agents search knowledge; set it on the members.")]
    if not isinstance(binding, dict):
        return [gettext("knowledge must be a set of named values: business_unit, max_results, max_distance, …")]
    errors = []
    for key, value in binding.items():
        if key in ("name", "business_unit", "category"):
            if not isinstance(value, str) or not value.strip():
                errors.append(gettext("knowledge.%(key)s must be a text.") % {"key": key})
        elif key == "max_results":
            if not _type_ok(_INT, value) or not 1 <= value <= 50:
                errors.append(gettext("knowledge.max_results must be a whole number from 1 to 50."))
        elif key == "max_distance":
            if not _type_ok(_NUM, value) or not 0 <= value <= 2:
                errors.append(gettext("knowledge.max_distance must be a number from 0 to 2 (cosine distance)."))
        elif key == "valid_metadata_filters":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(gettext("knowledge.valid_metadata_filters must be a list of filter names."))
        elif key in AGNO_AGENT_PARAMETERS:
            errors.append(
                gettext("knowledge.%(key)s is an agent parameter: set “%(key)s” beside knowledge, not inside it.")
                % {"key": key}
            )
        else:
            errors.append(
                gettext("knowledge.%(key)s is not part of a knowledge binding (%(keys)s).")
                % {"key": key, "keys": ", ".join(KNOWLEDGE_BINDING_KEYS)}
            )
    return errors


def validate_mode_flags(mode: str, parameters: Any, *, field: str = "parameters") -> None:
    """Agno lets the team mode override respond_directly/delegate_to_all_members: a contradiction would be
    silently ignored by the runtime, so it is refused here."""
    if not isinstance(parameters, dict):
        return
    errors = [
        gettext("%(flag)s cannot be %(given)s in %(mode)s mode (Agno sets it to %(value)s).")
        % {"flag": flag, "given": parameters[flag], "mode": mode, "value": value}
        for flag, value in TEAM_MODE_FLAGS.get(mode, {}).items()
        if flag in parameters and parameters[flag] is not value
    ]
    if errors:
        raise ValidationError({field: errors})


def validate_instructions(instructions: Any, *, field: str = "instructions") -> None:
    if not isinstance(instructions, list) or not all(isinstance(i, str) for i in instructions):
        raise ValidationError({field: gettext("Instructions must be a list of texts.")})
    if any(not i.strip() for i in instructions):
        raise ValidationError({field: gettext("An instruction cannot be empty; remove it instead.")})


def tool_parameters_problem(parameters: Any) -> str | None:
    """Why ``parameters`` cannot be a tool's arguments (None when it can): a JSON Schema of type object,
    as Agno's ``Function.parameters`` and the model providers want it."""
    import jsonschema

    if not isinstance(parameters, dict):
        return gettext("the parameters must be a JSON Schema object {...}.")
    try:
        jsonschema.Draft202012Validator.check_schema(parameters)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(part) for part in exc.path)
        if where:
            return gettext("the parameters are not a valid JSON Schema (at %(where)s): %(error)s") % {
                "where": where,
                "error": exc.message,
            }
        return gettext("the parameters are not a valid JSON Schema: %(error)s") % {"error": exc.message}
    if parameters and parameters.get("type") != "object":
        return gettext("the parameters must be a JSON Schema of “type”: “object” (a function's named arguments).")
    properties = parameters.get("properties", {})
    required = parameters.get("required", [])
    missing = [name for name in required if name not in properties] if isinstance(properties, dict) else []
    if missing:
        return gettext("the parameters require %(names)s, which they do not declare.") % {"names": ", ".join(missing)}
    return None


def validate_tools(tools: Any, *, field: str = "tools") -> None:
    """Tools are names (``"ShellTools"``) or objects with a ``name`` and optional details."""
    if not isinstance(tools, list):
        raise ValidationError({field: gettext("Tools must be a list.")})
    errors = []
    names = []
    for index, tool in enumerate(tools, start=1):
        if isinstance(tool, str):
            name = tool
        elif isinstance(tool, dict) and isinstance(tool.get("name"), str):
            name = tool["name"]
            if "description" in tool and not isinstance(tool["description"], str):
                errors.append(
                    gettext("Tool %(number)s (%(name)s): the description must be text.")
                    % {"number": index, "name": name}
                )
            if "parameters" in tool:
                problem = tool_parameters_problem(tool["parameters"])
                if problem:
                    errors.append(
                        gettext("Tool %(number)s (%(name)s): %(problem)s")
                        % {"number": index, "name": name, "problem": problem}
                    )
        else:
            errors.append(gettext("Tool %(number)s must be a name or an object with a “name”.") % {"number": index})
            continue
        if not name.strip():
            errors.append(gettext("Tool %(number)s has an empty name.") % {"number": index})
        elif not TOOL_NAME.fullmatch(name):
            errors.append(
                gettext(
                    "Tool “%(name)s”: use letters, digits, underscores and hyphens only, at most 64 "
                    "(the model providers refuse other function names)."
                )
                % {"name": name}
            )
        elif name in names:
            errors.append(gettext("Tool “%(name)s” is listed twice.") % {"name": name})
        names.append(name)
    if errors:
        raise ValidationError({field: errors})


def collect_errors(*checks) -> dict[str, list]:
    """Run validation callables and merge their ``ValidationError``s into one field → messages dict."""
    errors: dict[str, list] = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    return errors
