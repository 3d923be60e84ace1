"""The expectations that need no model: each returns the sentences that say why an answer fails them.

Pure functions over a case's definition (``EvalCase.definition()``) and what a run produced, so the same rules
judge an answer in the runner, in the admin's form preview and in tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from django.utils.translation import gettext


@dataclass
class Outcome:
    """What one run of one case produced."""

    output: str = ""
    route: str = ""
    tool_calls: list[dict] = field(default_factory=list)  # [{"name", "arguments", "result"}]
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    error: str = ""
    judge_score: float | None = None
    judge_reason: str = ""


def pattern(text: str) -> re.Pattern:
    """``/…/`` is a regular expression; anything else matches literally. Always case-insensitive."""
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        return re.compile(text[1:-1], re.IGNORECASE)
    return re.compile(re.escape(text), re.IGNORECASE)


def pattern_error(text: str) -> str | None:
    """Why ``text`` is not a usable pattern (for forms, in the active language), or None."""
    try:
        pattern(text)
    except re.error as exc:
        return gettext("“%(pattern)s” is not a valid regular expression: %(error)s.") % {"pattern": text, "error": exc}
    return None


# The texts of a case, and the roles an earlier message may have (what the runner sends to the model).
TEXT_FIELDS = ("name", "message", "expected_member", "judge_rubric", "source")
CONTEXT_ROLES = ("user", "assistant")


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def shape_errors(fields: dict[str, Any]) -> dict[str, str]:
    """Why each of ``fields`` (a case's fields, by name) has the wrong shape, by field: texts, lists of texts,
    earlier messages, tool calls, canned results and the answer schema. The admin's form builds these shapes
    itself; an import or a caller of the services may send anything, and the runner trusts them."""
    found: dict[str, str] = {}
    for key in TEXT_FIELDS:
        if key in fields and not isinstance(fields[key], str):
            found[key] = gettext("Must be a text.")
    for key in ("must_contain", "must_not_contain", "tools_not_called"):
        if key in fields and not _is_text_list(fields[key]):
            found[key] = gettext("Must be a list of texts.")
    for key in ("critical", "is_active"):
        if key in fields and not isinstance(fields[key], bool):
            found[key] = gettext("Must be true or false.")
    for key in ("max_length", "judge_min_score"):
        value = fields.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            found[key] = gettext("Must be a number.")
    if "context" in fields:
        context = fields["context"]
        if not isinstance(context, list) or not all(
            isinstance(m, dict)
            and set(m) == {"role", "content"}
            and m["role"] in CONTEXT_ROLES
            and isinstance(m["content"], str)
            for m in context
        ):
            found["context"] = gettext(
                "Must be a list of {role, content}, the role user or assistant, the content a text."
            )
    if "tools_called" in fields:
        calls = fields["tools_called"]
        if not isinstance(calls, list) or not all(
            isinstance(c, dict)
            and set(c) <= {"name", "arguments"}
            and isinstance(c.get("name"), str)
            and c["name"]
            and isinstance(c.get("arguments", {}), dict)
            for c in calls
        ):
            found["tools_called"] = gettext("Must be a list of {name, arguments}, the arguments a mapping.")
    if "tool_results" in fields:
        results = fields["tool_results"]
        if not isinstance(results, dict) or not all(isinstance(k, str) and k for k in results):
            found["tool_results"] = gettext("Must be a mapping of tool name to the result the tool returns.")
    schema = fields.get("output_schema")
    if schema is not None:
        try:
            if not isinstance(schema, dict):
                raise jsonschema.SchemaError("the schema must be a mapping")
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            found["output_schema"] = gettext("Not a valid JSON Schema: %(error)s.") % {"error": exc.message}
    return found


def _arguments_match(expected: dict, actual: Any) -> bool:
    if not isinstance(actual, dict):
        return False
    for key, value in expected.items():
        if key not in actual:
            return False
        if isinstance(value, dict):
            if not _arguments_match(value, actual[key]):
                return False
        elif actual[key] != value and str(actual[key]).casefold() != str(value).casefold():
            return False
    return True


def failures(definition: dict, outcome: Outcome) -> list[str]:
    """Every expectation of ``definition`` that ``outcome`` misses, as sentences (empty: it passes)."""
    if outcome.error:
        return [f"The evaluator could not run the case: {outcome.error}"]
    found: list[str] = []
    output = outcome.output or ""
    expected_member = definition.get("expected_member") or ""
    if expected_member and outcome.route != expected_member:
        went = f"to {outcome.route}" if outcome.route else "to no member"
        found.append(f"Routed {went}, not to {expected_member}.")
    for text in definition.get("must_contain") or []:
        if not pattern(text).search(output):
            found.append(f"The answer does not contain “{text}”.")
    for text in definition.get("must_not_contain") or []:
        if pattern(text).search(output):
            found.append(f"The answer contains “{text}”.")
    max_length = definition.get("max_length")
    if max_length is not None and len(output) > max_length:
        found.append(f"The answer has {len(output)} characters; at most {max_length} are allowed.")
    called = outcome.tool_calls
    for expected in definition.get("tools_called") or []:
        name, arguments = expected.get("name"), expected.get("arguments") or {}
        same_name = [c for c in called if c.get("name") == name]
        if not same_name:
            found.append(f"Tool {name} was not called.")
        elif arguments and not any(_arguments_match(arguments, c.get("arguments")) for c in same_name):
            found.append(f"Tool {name} was not called with {json.dumps(arguments, ensure_ascii=False)}.")
    for name in definition.get("tools_not_called") or []:
        if any(c.get("name") == name for c in called):
            found.append(f"Tool {name} was called.")
    schema = definition.get("output_schema")
    if schema is not None:
        try:
            jsonschema.validate(json.loads(output), schema)
        except ValueError:
            found.append("The answer is not JSON.")
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "the answer"
            found.append(f"The answer does not match the JSON schema at {where}: {exc.message}")
    min_score = definition.get("judge_min_score")
    if definition.get("judge_rubric") and min_score is not None:
        if outcome.judge_score is None:
            found.append("The judge gave no score.")
        elif outcome.judge_score < min_score:
            found.append(f"The judge scored {outcome.judge_score:g}/10; {min_score:g} is needed.")
    return found
