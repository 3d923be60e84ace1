"""Reading and writing the typification hierarchy files (no database access here).

Two formats:

* nested JSON, as PagBank's conversation typification keeps it:
  ``{"<business unit>": {"<product>": {"<motive>": ["<sub-motive>", ...]}}}`` — every leaf is one path,
  the business unit of a path is its first level;
* CSV with the header ``level1,level2,level3,level4,level5,business_unit,routing_keywords``
  (``routing_keywords`` separated by ``;``, or a JSON list; an empty ``business_unit`` means level 1).

Every problem is collected and reported at once, named by ``FILE:LINE`` (CSV) or ``FILE: $."key"[i]``
(JSON), so a user fixes a file in one round.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext, ngettext

from common.csv_safety import csv_safe_row, csv_unescape
from common.json_limits import text_problem
from typification.models import LEVELS
from typification.text import fold, nfc

CSV_COLUMNS = (*LEVELS, "business_unit", "routing_keywords")
MAX_LEVEL_LENGTH = 255
MAX_BUSINESS_UNIT_LENGTH = 50
MAX_KEYWORD_LENGTH = 100
MAX_ERRORS = 50


class HierarchyFileError(ValueError):
    """The file cannot be imported; ``errors`` lists every problem found, each naming where it is."""

    def __init__(self, errors: list[str]):
        self.errors = errors[:MAX_ERRORS]
        more = len(errors) - len(self.errors)
        text = "\n".join(self.errors)
        if more > 0:
            text += "\n" + ngettext("… and %(count)d more problem", "… and %(count)d more problems", more) % {
                "count": more
            }
        super().__init__(text)


def _padded(levels: list[str]) -> tuple[str, str, str, str, str]:
    """The five levels of a path, the missing deeper ones empty."""
    first, second, third, fourth, fifth = (*levels, "", "", "", "", "")[: len(LEVELS)]
    return first, second, third, fourth, fifth


@dataclass(frozen=True)
class HierarchyRow:
    """One typification path read from a file. ``keywords`` is None when the format has no keywords (JSON)."""

    levels: tuple[str, str, str, str, str]
    business_unit: str
    keywords: tuple[str, ...] | None
    where: str = field(compare=False, default="")

    @property
    def path(self) -> list[str]:
        return [level for level in self.levels if level]


def clean_keywords(values) -> list[str]:
    """Trimmed keywords without empties or accent/case duplicates; the first spelling wins."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        text = nfc(str(value))
        key = fold(text)
        if text and key and key not in seen:
            seen.add(key)
            result.append(text)
    return result


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HierarchyFileError(
            [
                gettext("%(source)s: not UTF-8 text (byte %(byte)s is %(value)s).")
                % {"source": source, "byte": exc.start, "value": f"{data[exc.start]:#x}"}
            ]
        ) from None


def detect_format(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".csv"):
        return "csv"
    raise HierarchyFileError([gettext("%(file)s: unknown format; name the file .json or .csv.") % {"file": filename}])


def parse(data: bytes | str, *, source: str, fmt: str | None = None) -> list[HierarchyRow]:
    fmt = fmt or detect_format(source)
    text = _decode(data, source)
    rows = parse_json(text, source=source) if fmt == "json" else parse_csv(text, source=source)
    _check_duplicates(rows)
    if not rows:
        raise HierarchyFileError([gettext("%(source)s: the file holds no typification paths.") % {"source": source}])
    return rows


def _check_level(value: str, where: str, errors: list[str]) -> str:
    text = nfc(value)
    problem = text_problem(text)
    if problem:
        errors.append(f"{where}: {problem}")
        return text
    if len(text) > MAX_LEVEL_LENGTH:
        errors.append(gettext("%(where)s: longer than %(max)s characters.") % {"where": where, "max": MAX_LEVEL_LENGTH})
    return text


def _business_unit(value: str, level1: str, where: str, errors: list[str]) -> str:
    unit = nfc(value) or level1
    if len(unit) > MAX_BUSINESS_UNIT_LENGTH:
        errors.append(
            gettext("%(where)s: business unit “%(unit)s” is longer than %(max)s characters.")
            % {"where": where, "unit": unit[:60], "max": MAX_BUSINESS_UNIT_LENGTH}
        )
    return unit


def _json_key(path: str, key: str) -> str:
    return f"{path}.{json.dumps(key, ensure_ascii=False)}"


def parse_json(text: str, *, source: str) -> list[HierarchyRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HierarchyFileError(
            [
                gettext("%(where)s: invalid JSON (%(error)s).")
                % {"where": f"{source}:{exc.lineno}:{exc.colno}", "error": exc.msg}
            ]
        ) from None
    except RecursionError:
        raise HierarchyFileError(
            [
                gettext("%(source)s: invalid JSON (nested far deeper than %(levels)s levels).")
                % {"source": source, "levels": len(LEVELS)}
            ]
        ) from None
    if not isinstance(document, dict):
        raise HierarchyFileError(
            [
                gettext("%(source)s: $: expected an object of business units, got %(type)s.")
                % {"source": source, "type": type(document).__name__}
            ]
        )
    rows: list[HierarchyRow] = []
    errors: list[str] = []

    def leaf(levels: list[str], where: str) -> None:
        padded = _padded(levels)
        unit = _business_unit("", levels[0], f"{source}: {where}", errors)
        rows.append(HierarchyRow(levels=padded, business_unit=unit, keywords=None, where=f"{source}: {where}"))

    def walk(node, levels: list[str], where: str) -> None:
        if isinstance(node, dict):
            if not node:
                leaf(levels, where)
            for key, child in node.items():
                name = _check_level(key, f"{source}: {_json_key(where, key)}", errors)
                child_where = _json_key(where, key)
                if not name:
                    errors.append(gettext("%(where)s: empty name.") % {"where": f"{source}: {child_where}"})
                    continue
                if len(levels) + 1 > len(LEVELS):
                    errors.append(
                        gettext("%(where)s: deeper than %(levels)s levels.")
                        % {"where": f"{source}: {child_where}", "levels": len(LEVELS)}
                    )
                    continue
                walk(child, levels + [name], child_where)
        elif isinstance(node, list):
            if not node:
                leaf(levels, where)
            for index, item in enumerate(node):
                item_where = f"{where}[{index}]"
                if not isinstance(item, str):
                    errors.append(
                        gettext("%(where)s: expected a name (text), got %(type)s.")
                        % {"where": f"{source}: {item_where}", "type": type(item).__name__}
                    )
                    continue
                name = _check_level(item, f"{source}: {item_where}", errors)
                if not name:
                    errors.append(gettext("%(where)s: empty name.") % {"where": f"{source}: {item_where}"})
                elif len(levels) + 1 > len(LEVELS):
                    errors.append(
                        gettext("%(where)s: deeper than %(levels)s levels.")
                        % {"where": f"{source}: {item_where}", "levels": len(LEVELS)}
                    )
                else:
                    leaf(levels + [name], item_where)
        elif node is None:
            leaf(levels, where)
        else:
            errors.append(
                gettext("%(where)s: expected an object or a list of names, got %(type)s.")
                % {"where": f"{source}: {where}", "type": type(node).__name__}
            )

    for key, child in document.items():
        where = _json_key("$", key)
        name = _check_level(key, f"{source}: {where}", errors)
        if not name:
            errors.append(gettext("%(where)s: empty business unit name.") % {"where": f"{source}: {where}"})
            continue
        walk(child, [name], where)
    if errors:
        raise HierarchyFileError(errors)
    return rows


def _split_keywords(cell: str, where: str, errors: list[str]) -> list[str]:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            values = json.loads(cell)
        except json.JSONDecodeError as exc:
            errors.append(
                gettext("%(where)s: routing_keywords is not a valid JSON list (%(error)s).")
                % {"where": where, "error": exc.msg}
            )
            return []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(gettext("%(where)s: routing_keywords must be a JSON list of texts.") % {"where": where})
            return []
    else:
        values = cell.replace("|", ";").split(";")
    keywords = clean_keywords(values)
    for keyword in keywords:
        problem = text_problem(keyword)
        if problem:
            errors.append(f"{where}: routing_keywords: {problem}")
        elif len(keyword) > MAX_KEYWORD_LENGTH:
            errors.append(
                gettext("%(where)s: keyword “%(keyword)s…” is longer than %(max)s characters.")
                % {"where": where, "keyword": keyword[:40], "max": MAX_KEYWORD_LENGTH}
            )
    return keywords


def parse_csv(text: str, *, source: str) -> list[HierarchyRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise HierarchyFileError(
            [
                gettext("%(source)s:1: empty file; expected the header %(header)s.")
                % {"source": source, "header": ",".join(CSV_COLUMNS)}
            ]
        ) from None
    except csv.Error as exc:
        raise HierarchyFileError([f"{source}:1: {exc}."]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("level1",) if c not in names]  # the other columns may be left out
    unknown = [h for h in names if h not in CSV_COLUMNS]
    duplicated = sorted({h for h in names if names.count(h) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(gettext("missing column(s) %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            problems.append(gettext("unknown column(s) %(columns)s") % {"columns": ", ".join(unknown)})
        if duplicated:
            problems.append(gettext("repeated column(s) %(columns)s") % {"columns": ", ".join(duplicated)})
        raise HierarchyFileError(
            [
                gettext("%(source)s:1: %(problems)s. Expected the header %(header)s.")
                % {"source": source, "problems": "; ".join(problems), "header": ",".join(CSV_COLUMNS)}
            ]
        )
    index = {name: i for i, name in enumerate(names)}
    rows: list[HierarchyRow] = []
    errors: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            where = f"{source}:{line}"
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(names):
                errors.append(
                    gettext("%(where)s: %(fields)s fields, the header has %(header)s.")
                    % {"where": where, "fields": len(record), "header": len(names)}
                )
                continue

            def cell(column: str, record: list[str] = record) -> str:
                # csv_unescape: the export's formula neutralisation
                return csv_unescape(record[index[column]]) if column in index else ""

            levels = [_check_level(cell(level), f"{where}: {level}", errors) for level in LEVELS]
            if not levels[0]:
                errors.append(gettext("%(where)s: level1 is empty.") % {"where": where})
                continue
            gap = next((i for i in range(1, len(LEVELS)) if levels[i] and not levels[i - 1]), None)
            if gap is not None:
                errors.append(
                    gettext("%(where)s: %(level)s is set while %(above)s is empty.")
                    % {"where": where, "level": LEVELS[gap], "above": LEVELS[gap - 1]}
                )
                continue
            unit = _business_unit(cell("business_unit"), levels[0], where, errors)
            keywords = _split_keywords(cell("routing_keywords"), where, errors)
            rows.append(
                HierarchyRow(
                    levels=_padded(levels),
                    business_unit=unit,
                    keywords=tuple(keywords) if "routing_keywords" in index else None,
                    where=where,
                )
            )
    except csv.Error as exc:
        errors.append(f"{source}:{reader.line_num}: {exc}.")
    if errors:
        raise HierarchyFileError(errors)
    return rows


def _check_duplicates(rows: list[HierarchyRow]) -> None:
    first: dict[tuple, str] = {}
    errors = []
    for row in rows:
        key = row.levels
        if key in first:
            errors.append(
                gettext("%(where)s: the path %(path)s repeats %(first)s.")
                % {"where": row.where, "path": " › ".join(row.path), "first": first[key]}
            )
        else:
            first[key] = row.where
    if errors:
        raise HierarchyFileError(errors)


# --- Export -----------------------------------------------------------------------------------


def to_csv(rows: list[dict]) -> str:
    """``rows``: dicts with level1..level5, business_unit, routing_keywords (a list)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            csv_safe_row([*(row[level] for level in LEVELS), row["business_unit"], ";".join(row["routing_keywords"])])
        )
    return out.getvalue()


def to_nested(rows: list[dict]) -> dict:
    """The nested JSON form. The deepest level of each path is a list item; keywords are not part of it.

    A path that is a prefix of a longer one (``A › B`` beside ``A › B › C``) is implied by the longer
    one, so the nested form only keeps the leaves.
    """
    tree: dict = {}
    for row in rows:
        path = [row[level] for level in LEVELS if row[level]]
        node = tree
        for name in path[:-1]:
            child = node.get(name)
            if not isinstance(child, dict):  # was a leaf ([]) until a longer path came along
                child = {}
                node[name] = child
            node = child
        # A one-level path is an empty object (a business unit without products); deeper leaves are [].
        node.setdefault(path[-1], {} if len(path) == 1 else [])
    return {name: _collapse(value) for name, value in tree.items()}


def _collapse(node):
    """Objects whose children are all leaves become plain lists of names (the PagBank form)."""
    if isinstance(node, dict):
        collapsed = {key: _collapse(value) for key, value in node.items()}
        if collapsed and all(value == [] for value in collapsed.values()):
            return list(collapsed)
        return collapsed
    return node


def to_json(rows: list[dict]) -> str:
    return json.dumps(to_nested(rows), ensure_ascii=False, indent=2) + "\n"
