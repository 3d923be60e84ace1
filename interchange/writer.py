"""Writing a component in the portal's YAML format (``portal_format`` reads it back to the same configuration):
prompts as literal blocks, Portuguese and emoji as themselves, keys in a fixed reading order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from common.agno_spec import MODEL_KEYS
from interchange.documents import KINDS
from interchange.portal_format import CASE_DEFAULTS, CASE_KEYS, FORMAT

# Texts PyYAML may write as literal blocks: printable characters and plain newlines only.
_BLOCK_SAFE = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")


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
    style: str | None
    if any(ch in value for ch in "\x85\u2028\u2029"):
        style = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_document(
    *, kind: str, config: dict, exported: dict | None = None, test_cases: list[dict] | None = None
) -> str:
    """The portal's YAML for one component; ``reading.read_document`` gives back ``config`` unchanged, and
    ``test_cases`` (fields by ``EvalCase`` name) when given: each case without the fields at their defaults."""
    if kind not in KINDS:
        raise ValueError(f"kind must be agent or team, not {kind!r}")
    document: dict[str, Any] = {"format": FORMAT, "kind": kind}
    if exported:
        document["exported"] = exported
    document["config"] = _ordered(config)
    if test_cases:
        document["test_cases"] = [_case(case) for case in test_cases]
    header = f"# A Hive Portal {kind}. Import with: manage.py import_components <file or folder>\n"
    return header + yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


# The order keys are written in: what people read first, then the other parameters alphabetically. The
# database does not keep key order (jsonb sorts keys), so this also makes every export of a configuration
# byte-identical, whichever database it came from.
_KEY_ORDER = (
    "id", "name", "description", "role", "mode", "model", "instructions", "system_message", "expected_output",
    "additional_context", "tools", "capabilities", "knowledge_domains", "members",
)  # fmt: skip
_MODEL_KEY_ORDER = ("provider", "id", "params")


def _ordered(config: dict) -> dict:
    def rank(order):
        return lambda key: (order.index(key), "") if key in order else (len(order), str(key))

    result = {}
    for key in sorted(config, key=rank(_KEY_ORDER)):
        value = config[key]
        if isinstance(value, dict) and key in MODEL_KEYS:
            value = {k: value[k] for k in sorted(value, key=rank(_MODEL_KEY_ORDER))}
        result[key] = value
    return result


def _case(fields: dict) -> dict:
    """A test case as a file holds it: keys in ``CASE_KEYS`` order, defaults left out (an import gives a key
    that is left out its default)."""
    return {key: fields[key] for key in CASE_KEYS if key in fields and fields[key] != CASE_DEFAULTS.get(key)}


def export_path(kind: str, component_id: str) -> Path:
    """Where a component's file goes inside an export folder."""
    return Path(f"{kind}s") / f"{component_id}.yaml"
