"""Form fields and widgets that let business users edit JSON lists and settings without writing JSON.

- ``TextListField``: a list of texts (instructions, keywords) as one textarea per item, with
  "add" and "remove" buttons.
- ``ToolPickerField``: an agent's tools as rows picked from the tool catalogue, each with an optional description
  and settings for this agent.
- ``ParameterRowsField``: a tool's parameters as rows (name, type, description, required, allowed values), cleaned to
  a JSON Schema object.
- ``KeyValueField``: settings as rows of name and value; values are read as JSON when they look
  like JSON (numbers, true/false, lists) and as text otherwise.

Each widget posts several inputs with the same name; ``value_from_datadict`` gathers them in order.
Without JavaScript the widget still works: it always renders one empty row to fill in.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.agno_spec import TOOL_NAME, validate_tools
from common.json_limits import JSONLimitError, check_json_value, loads_limited, text_problem

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _limit_message(exc: JSONLimitError) -> str:
    # The limit's message is in the language active when it was raised (the page's here).
    return (
        gettext("%(message)s (at %(path)s)") % {"message": exc.message, "path": exc.path} if exc.path else exc.message
    )


class LimitedJSONFormField(forms.JSONField):
    """Django's JSON form field, refusing nesting deeper than 32 levels (a ``RecursionError`` otherwise),
    NUL characters and lone surrogates (which PostgreSQL cannot store) with a form error."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except RecursionError:
            raise ValidationError(gettext("The JSON is nested too deeply."), code="invalid") from None
        try:
            check_json_value(parsed)
        except JSONLimitError as exc:
            raise ValidationError(_limit_message(exc), code="invalid") from None
        return parsed

    def bound_data(self, data, initial):
        # Re-displayed as typed when refused: the parsed value may not even be encodable in the page.
        try:
            value = super().bound_data(data, initial)
            check_json_value(value)
        except (RecursionError, JSONLimitError):
            return forms.fields.InvalidJSONInput(data)
        return value


def _text_errors(texts, message: str) -> list[str]:
    """``message`` names the row, with ``%(number)s`` and ``%(problem)s`` (e.g. "Item %(number)s: %(problem)s")."""
    errors = []
    for number, text in texts:
        problem = text_problem(text)
        if problem:
            errors.append(message % {"number": number, "problem": problem})
    return errors


class _RowsWidget(forms.Widget):
    template_name = "widgets/rows.html"
    columns: tuple[tuple[str, StrOrPromise, str], ...] = ()  # (suffix, label, kind: text|textarea|json|select)
    add_label: StrOrPromise = _("Add")
    # suffix → [(value, label), ...] for the "select" columns (set per form when the choices come from the database)
    column_choices: dict[str, list[tuple[str, StrOrPromise]]] = {}

    class Media:
        css = {"all": ["hive/widgets.css"]}
        js = ["hive/widgets.js"]

    def __init__(self, attrs=None, *, rows: int = 3, add_label: StrOrPromise | None = None):
        super().__init__(attrs)
        self.textarea_rows = rows
        if add_label:
            self.add_label = add_label

    def rows_for(self, value) -> list[list[str]]:
        raise NotImplementedError

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
            rows = value  # re-displaying what was posted (the form had errors): keep it as typed
        else:
            rows = self.rows_for(value)
        context["widget"].update(
            {
                "columns": [
                    {"name": f"{name}__{suffix}", "label": label, "kind": kind} for suffix, label, kind in self.columns
                ],
                "rows": [[self._cell(name, column, cell) for column, cell in zip(self.columns, row)] for row in rows],
                "empty_row": [self._cell(name, column, "") for column in self.columns],
                "textarea_rows": self.textarea_rows,
                "add_label": self.add_label,
            }
        )
        return context

    def _cell(self, name: str, column: tuple[str, str, str], value: str) -> dict:
        suffix, label, kind = column
        cell: dict[str, Any] = {"name": f"{name}__{suffix}", "value": value, "kind": kind, "label": label}
        if kind == "select":
            choices = list(self.column_choices.get(suffix, []))
            if value and value not in {choice for choice, _ in choices}:
                choices.append((value, value))  # as posted or stored, so a re-displayed row keeps it
            cell["choices"] = choices
        return cell

    def value_from_datadict(self, data, files, name):
        columns = [data.getlist(f"{name}__{suffix}") for suffix, _, _ in self.columns]
        if not any(columns):
            return None if f"{name}__present" not in data else []
        width = max(len(c) for c in columns)
        rows = []
        for i in range(width):
            rows.append([c[i] if i < len(c) else "" for c in columns])
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}__present" not in data and not any(
            data.getlist(f"{name}__{suffix}") for suffix, _, _ in self.columns
        )


class TextListWidget(_RowsWidget):
    columns = (("item", "", "textarea"),)
    add_label = _("Add an item")

    def rows_for(self, value):
        return [[str(item)] for item in (value or [])]


class KeyValueWidget(_RowsWidget):
    columns = (("key", _("Name"), "text"), ("value", _("Value"), "text"))
    add_label = _("Add a setting")

    def rows_for(self, value):
        rows = []
        for key, val in (value or {}).items():
            shown = val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)
            rows.append([str(key), shown])
        return rows


class TextListField(forms.Field):
    widget = TextListWidget
    default_error_messages = {"item_required": _("Remove empty items or fill them in.")}

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, list) and value and isinstance(value[0], list):
            items = [row[0] for row in value]
        elif isinstance(value, list):
            items = value
        else:
            items = [value]
        cleaned = [str(item).replace("\r\n", "\n").strip() for item in items]
        errors = _text_errors(enumerate(cleaned, start=1), gettext("Item %(number)s: %(problem)s"))
        if errors:
            raise ValidationError(errors)
        return [item for item in cleaned if item]

    def prepare_value(self, value):
        return value

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


def parse_setting_value(raw: str) -> Any:
    """``0.3`` → 0.3, ``true`` → True, ``[1,2]`` → [1, 2]; anything else stays text. Raises
    ``JSONLimitError`` for JSON nested too deeply and for text PostgreSQL cannot store."""
    text = raw.strip()
    if text == "":
        return ""
    try:
        return loads_limited(text)
    except JSONLimitError:
        raise
    except ValueError:
        check_json_value(text)
        return text


class KeyValueField(forms.Field):
    widget = KeyValueWidget

    def to_python(self, value) -> dict:
        if value in (None, ""):
            return {}
        if isinstance(value, dict):
            return value
        result: dict[str, Any] = {}
        errors = []
        for number, (key, raw) in enumerate(value, start=1):
            key = key.strip()
            if not key and not raw.strip():
                continue
            if not key:
                errors.append(gettext("Row %(number)s: give the setting a name.") % {"number": number})
                continue
            if key in result:
                errors.append(gettext("“%(name)s” is listed twice.") % {"name": key})
                continue
            problem = text_problem(key)
            if problem:
                errors.append(gettext("Row %(number)s: the name: %(problem)s") % {"number": number, "problem": problem})
                continue
            try:
                result[key] = parse_setting_value(raw)
            except JSONLimitError as exc:
                errors.append(
                    gettext("Row %(number)s (%(name)s): %(problem)s")
                    % {"number": number, "name": key, "problem": _limit_message(exc)}
                )
        if errors:
            raise ValidationError(errors)
        return result

    def has_changed(self, initial, data):
        try:
            return (initial or {}) != self.to_python(data)
        except ValidationError:
            return True


# --- A tool's parameters as rows, and an agent's tools picked from the catalogue ---------------------------

PARAMETER_TYPES = ("string", "integer", "number", "boolean", "array", "object")
_ENUM_TYPES = ("string", "integer", "number")
_PARAMETER_KEYS = {"type", "description", "enum"}


class ParameterRowsWidget(_RowsWidget):
    columns = (
        ("name", _("Parameter"), "text"),
        ("type", pgettext_lazy("parameter", "Type"), "select"),
        ("description", _("Description (what the model is told)"), "text"),
        ("required", pgettext_lazy("parameter", "Required"), "select"),
        ("enum", _("Allowed values, comma-separated (optional)"), "text"),
    )
    add_label = _("Add a parameter")

    def __init__(self, attrs=None, **kwargs):
        super().__init__(attrs, **kwargs)
        self.column_choices = {
            "type": [(kind, kind) for kind in PARAMETER_TYPES],
            "required": [("no", pgettext_lazy("required", "no")), ("yes", pgettext_lazy("required", "yes"))],
        }

    def rows_for(self, value):
        return schema_rows(value) or []


def _array_items_plain(spec: dict) -> bool:
    return spec.get("items", {"type": "string"}) == {"type": "string"}


def schema_rows(schema: Any) -> list[list[str]] | None:
    """A tool's parameters (a JSON Schema object) as the parameter editor's rows: name, type, description,
    required, allowed values. None when the schema says more than the rows can show (nested objects, formats,
    defaults, ...): it is then edited as JSON."""
    if not schema:
        return []
    if not isinstance(schema, dict) or set(schema) - {"type", "properties", "required"}:
        return None
    if schema.get("type") != "object":
        return None
    properties, required = schema.get("properties", {}), schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        return None
    rows = []
    for name, spec in properties.items():
        if not isinstance(spec, dict) or spec.get("type") not in PARAMETER_TYPES:
            return None
        extra = set(spec) - _PARAMETER_KEYS - ({"items"} if spec["type"] == "array" else set())
        if extra or (spec["type"] == "array" and not _array_items_plain(spec)):
            return None
        enum = spec.get("enum")
        if enum is not None and (spec["type"] not in _ENUM_TYPES or not isinstance(enum, list)):
            return None
        if enum is not None and any("," in str(item) for item in enum):
            return None
        description = spec.get("description", "")
        if not isinstance(description, str):
            return None
        rows.append(
            [
                name,
                spec["type"],
                description,
                "yes" if name in required else "no",
                ", ".join(str(item) for item in enum or []),
            ]
        )
    return rows


def _enum_value(kind: str, text: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text


class ParameterRowsField(forms.Field):
    """A tool's parameters, a row per parameter (name, type, description, required, allowed values), as the
    JSON Schema object Agno's ``Function.parameters`` holds. Errors name the row and the parameter."""

    widget = ParameterRowsWidget

    def to_python(self, value) -> dict | None:
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            return value
        properties: dict[str, Any] = {}
        required: list[str] = []
        errors = []
        for number, row in enumerate(value, start=1):
            name, kind, description, is_required, enum_text = (cell.strip() for cell in (row + [""] * 5)[:5])
            if not (name or description or enum_text):
                continue
            if name:
                label = gettext("Parameter %(number)s (%(name)s)") % {"number": number, "name": name}
            else:
                label = gettext("Parameter %(number)s") % {"number": number}
            if not name:
                errors.append(gettext("%(parameter)s: give the parameter a name.") % {"parameter": label})
                continue
            problems = _text_errors(
                [(number, name), (number, description), (number, enum_text)],
                gettext("Parameter %(number)s: %(problem)s"),
            )
            if problems:
                errors.extend(problems)
                continue
            if not TOOL_NAME.fullmatch(name):
                errors.append(
                    gettext("%(parameter)s: use letters, digits, underscores and hyphens only.") % {"parameter": label}
                )
                continue
            if name in properties:
                errors.append(
                    gettext("%(parameter)s: “%(name)s” is listed twice.") % {"parameter": label, "name": name}
                )
                continue
            if kind not in PARAMETER_TYPES:
                errors.append(
                    gettext("%(parameter)s: choose a type (%(types)s).")
                    % {"parameter": label, "types": ", ".join(PARAMETER_TYPES)}
                )
                continue
            spec: dict[str, Any] = {"type": kind}
            if kind == "array":
                spec["items"] = {"type": "string"}
            if description:
                spec["description"] = description
            if enum_text:
                if kind not in _ENUM_TYPES:
                    errors.append(
                        gettext("%(parameter)s: allowed values are for text and number parameters, not %(type)s.")
                        % {"parameter": label, "type": kind}
                    )
                    continue
                items = [item.strip() for item in enum_text.split(",") if item.strip()]
                try:
                    values = [_enum_value(kind, item) for item in items]
                except ValueError:
                    if kind == "integer":
                        message = gettext(
                            "%(parameter)s: the allowed values of an integer parameter must be integers (“%(values)s”)."
                        )
                    else:
                        message = gettext(
                            "%(parameter)s: the allowed values of a number parameter must be numbers (“%(values)s”)."
                        )
                    errors.append(message % {"parameter": label, "values": enum_text})
                    continue
                if len(set(map(str, values))) != len(values):
                    errors.append(gettext("%(parameter)s: an allowed value is listed twice.") % {"parameter": label})
                    continue
                spec["enum"] = values
            properties[name] = spec
            if is_required == "yes":
                required.append(name)
        if errors:
            raise ValidationError(errors)
        return {"type": "object", "properties": properties, "required": required}

    def has_changed(self, initial, data):
        try:
            return (initial or None) != self.to_python(data)
        except ValidationError:
            return True


class ToolPickerWidget(_RowsWidget):
    columns = (
        ("tool", _("Tool (from the catalogue)"), "select"),
        ("description", _("Description for this agent (optional; empty: the catalogue's)"), "text"),
        ("settings", _("Settings for this agent (optional): one “name = value” a line"), "textarea"),
    )
    add_label = _("Add a tool")

    def __init__(self, attrs=None, **kwargs):
        kwargs.setdefault("rows", 2)
        super().__init__(attrs, **kwargs)
        self.column_choices = {"tool": [("", _("— choose a tool —"))]}

    def rows_for(self, value):
        rows = []
        for tool in value or []:
            if isinstance(tool, str):
                rows.append([tool, "", ""])
            elif isinstance(tool, dict):
                settings = {k: v for k, v in tool.items() if k not in ("name", "description", "parameters")}
                rows.append([str(tool.get("name", "")), "", settings_text(settings)])
        return rows


def settings_text(settings: dict) -> str:
    """A tool's per-agent settings as the picker's "name = value" lines (values as JSON unless plain text)."""
    return "\n".join(
        f"{key} = {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in settings.items()
    )


class ToolPickerField(forms.Field):
    """An agent's tools as rows picked from the catalogue (``catalogue``: name → label, set by the form), each
    with an optional description for this agent and settings; cleaned to the portal's tool format (a name, or
    ``{name, description?, ...settings}``), which the agents' services link to the catalogue."""

    widget = ToolPickerWidget

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue: dict[str, str] = {}

    def set_catalogue(self, catalogue: dict[str, str]) -> None:
        self.catalogue = dict(catalogue)
        self.widget.column_choices = {"tool": [("", _("— choose a tool —")), *catalogue.items()]}

    def to_python(self, value) -> list:
        if value in (None, ""):
            return []
        if not (isinstance(value, list) and all(isinstance(row, list) for row in value)):
            return value if isinstance(value, list) else []
        tools: list[Any] = []
        errors = []
        for number, row in enumerate(value, start=1):
            name, description, settings_raw = (cell.strip() for cell in (row + [""] * 3)[:3])
            if not (name or description or settings_raw):
                continue
            if not name:
                errors.append(gettext("Tool %(number)s: choose a tool from the catalogue.") % {"number": number})
                continue
            if name not in self.catalogue:
                errors.append(
                    gettext("Tool %(number)s: “%(name)s” is not in the tool catalogue (Agents › Tools).")
                    % {"number": number, "name": name}
                )
                continue
            problems = _text_errors([(number, description)], gettext("Tool %(number)s: %(problem)s"))
            if problems:
                errors.extend(problems)
                continue
            tool: dict[str, Any] = {"name": name}
            if description:
                tool["description"] = description
            for line_number, line in enumerate(settings_raw.splitlines(), start=1):
                if not line.strip():
                    continue
                key, sep, raw = line.partition("=")
                key = key.strip()
                if not sep or not key:
                    errors.append(
                        gettext("Tool %(number)s (%(name)s): settings line %(line)s is not “name = value”.")
                        % {"number": number, "name": name, "line": line_number}
                    )
                    continue
                if key in ("name", "description") or key in tool:
                    errors.append(
                        gettext("Tool %(number)s (%(name)s): the setting “%(setting)s” cannot be used here.")
                        % {"number": number, "name": name, "setting": key}
                    )
                    continue
                try:
                    tool[key] = parse_setting_value(raw)
                except JSONLimitError as exc:
                    errors.append(
                        gettext("Tool %(number)s (%(name)s): setting %(setting)s: %(problem)s")
                        % {"number": number, "name": name, "setting": key, "problem": _limit_message(exc)}
                    )
            tools.append(name if set(tool) == {"name"} else tool)
        if errors:
            raise ValidationError(errors)
        return tools

    def validate(self, value):
        super().validate(value)
        try:
            validate_tools(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["tools"]) from None

    def has_changed(self, initial, data):
        try:
            return (initial or []) != self.to_python(data)
        except ValidationError:
            return True
