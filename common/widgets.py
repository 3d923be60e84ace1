"""Form fields and widgets that let business users edit JSON lists and settings without writing JSON.

- ``TextListField``: a list of texts (instructions, keywords) as one textarea per item, with
  "add" and "remove" buttons.
- ``ToolListField``: tools as rows of name, description and (optional) JSON parameters.
- ``KeyValueField``: settings as rows of name and value; values are read as JSON when they look
  like JSON (numbers, true/false, lists) and as text otherwise.

Each widget posts several inputs with the same name; ``value_from_datadict`` gathers them in order.
Without JavaScript the widget still works: it always renders one empty row to fill in.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from common.agno_spec import validate_tools
from common.json_limits import JSONLimitError, check_json_value, loads_limited, text_problem


def _limit_message(exc: JSONLimitError) -> str:
    return f"{exc.message} (at {exc.path})" if exc.path else exc.message


class LimitedJSONFormField(forms.JSONField):
    """Django's JSON form field, refusing nesting deeper than 32 levels (a ``RecursionError`` otherwise),
    NUL characters and lone surrogates (which PostgreSQL cannot store) with a form error."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except RecursionError:
            raise ValidationError("The JSON is nested too deeply.", code="invalid") from None
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


def _text_errors(texts, what: str) -> list[str]:
    errors = []
    for number, text in texts:
        problem = text_problem(text)
        if problem:
            errors.append(f"{what} {number}: {problem}")
    return errors


class _RowsWidget(forms.Widget):
    template_name = "widgets/rows.html"
    columns: tuple[tuple[str, str, str], ...] = ()  # (suffix, label, kind: text|textarea|json)
    add_label = "Add"

    class Media:
        css = {"all": ["hive/widgets.css"]}
        js = ["hive/widgets.js"]

    def __init__(self, attrs=None, *, rows: int = 3, add_label: str | None = None):
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
                "rows": [
                    [
                        {"name": f"{name}__{suffix}", "value": cell, "kind": kind, "label": label}
                        for (suffix, label, kind), cell in zip(self.columns, row)
                    ]
                    for row in rows
                ],
                "empty_row": [
                    {"name": f"{name}__{suffix}", "value": "", "kind": kind, "label": label}
                    for suffix, label, kind in self.columns
                ],
                "textarea_rows": self.textarea_rows,
                "add_label": self.add_label,
            }
        )
        return context

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
    add_label = "Add an item"

    def rows_for(self, value):
        return [[str(item)] for item in (value or [])]


class ToolListWidget(_RowsWidget):
    columns = (
        ("name", "Tool", "text"),
        ("description", "Description (optional)", "text"),
        ("parameters", "Parameters as JSON (optional)", "json"),
    )
    add_label = "Add a tool"

    def rows_for(self, value):
        rows = []
        for tool in value or []:
            if isinstance(tool, str):
                rows.append([tool, "", ""])
            elif isinstance(tool, dict):
                extra = {k: v for k, v in tool.items() if k not in ("name", "description")}
                params = extra.pop("parameters", None)
                if extra:
                    params = {**(params or {}), **extra} if isinstance(params, dict) or params is None else params
                rows.append(
                    [
                        str(tool.get("name", "")),
                        str(tool.get("description", "") or ""),
                        json.dumps(params, ensure_ascii=False, indent=1) if params else "",
                    ]
                )
        return rows


class KeyValueWidget(_RowsWidget):
    columns = (("key", "Name", "text"), ("value", "Value", "text"))
    add_label = "Add a setting"

    def rows_for(self, value):
        rows = []
        for key, val in (value or {}).items():
            shown = val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)
            rows.append([str(key), shown])
        return rows


class TextListField(forms.Field):
    widget = TextListWidget
    default_error_messages = {"item_required": "Remove empty items or fill them in."}

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
        errors = _text_errors(enumerate(cleaned, start=1), "Item")
        if errors:
            raise ValidationError(errors)
        return [item for item in cleaned if item]

    def prepare_value(self, value):
        return value

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


class ToolListField(forms.Field):
    widget = ToolListWidget

    def to_python(self, value) -> list:
        if value in (None, ""):
            return []
        if not (isinstance(value, list) and all(isinstance(row, list) for row in value)):
            return value if isinstance(value, list) else []
        tools: list[Any] = []
        errors = []
        for number, (name, description, parameters) in enumerate(value, start=1):
            name, description, parameters = name.strip(), description.strip(), parameters.strip()
            if not (name or description or parameters):
                continue
            if not name:
                errors.append(f"Tool {number}: give the tool a name.")
                continue
            problems = _text_errors([(number, name), (number, description)], "Tool")
            if problems:
                errors.extend(problems)
                continue
            if not description and not parameters:
                tools.append(name)
                continue
            tool: dict[str, Any] = {"name": name}
            if description:
                tool["description"] = description
            if parameters:
                try:
                    parsed = loads_limited(parameters)
                except JSONLimitError as exc:
                    errors.append(f"Tool {number} ({name}): the parameters: {_limit_message(exc)}")
                    continue
                except json.JSONDecodeError as exc:
                    errors.append(
                        f"Tool {number} ({name}): the parameters are not valid JSON ({exc.msg}, line {exc.lineno})."
                    )
                    continue
                if not isinstance(parsed, dict):
                    errors.append(f"Tool {number} ({name}): the parameters must be a JSON object {{...}}.")
                    continue
                tool["parameters"] = parsed
            tools.append(tool)
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
                errors.append(f"Row {number}: give the setting a name.")
                continue
            if key in result:
                errors.append(f"“{key}” is listed twice.")
                continue
            problem = text_problem(key)
            if problem:
                errors.append(f"Row {number}: the name: {problem}")
                continue
            try:
                result[key] = parse_setting_value(raw)
            except JSONLimitError as exc:
                errors.append(f"Row {number} ({key}): {_limit_message(exc)}")
        if errors:
            raise ValidationError(errors)
        return result

    def has_changed(self, initial, data):
        try:
            return (initial or {}) != self.to_python(data)
        except ValidationError:
            return True
