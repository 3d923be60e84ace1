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
        text = "\n".join(self.errors) + (f"\n… and {more} more problems" if more > 0 else "")
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
        raise HierarchyFileError([f"{source}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#x})."]) from None


def detect_format(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".csv"):
        return "csv"
    raise HierarchyFileError([f"{filename}: unknown format; name the file .json or .csv."])


def parse(data: bytes | str, *, source: str, fmt: str | None = None) -> list[HierarchyRow]:
    fmt = fmt or detect_format(source)
    text = _decode(data, source)
    rows = parse_json(text, source=source) if fmt == "json" else parse_csv(text, source=source)
    _check_duplicates(rows)
    if not rows:
        raise HierarchyFileError([f"{source}: the file holds no typification paths."])
    return rows


def _check_level(value: str, where: str, errors: list[str]) -> str:
    text = nfc(value)
    problem = text_problem(text)
    if problem:
        errors.append(f"{where}: {problem}")
        return text
    if len(text) > MAX_LEVEL_LENGTH:
        errors.append(f"{where}: longer than {MAX_LEVEL_LENGTH} characters.")
    return text


def _business_unit(value: str, level1: str, where: str, errors: list[str]) -> str:
    unit = nfc(value) or level1
    if len(unit) > MAX_BUSINESS_UNIT_LENGTH:
        errors.append(f"{where}: business unit “{unit[:60]}” is longer than {MAX_BUSINESS_UNIT_LENGTH} characters.")
    return unit


def _json_key(path: str, key: str) -> str:
    return f"{path}.{json.dumps(key, ensure_ascii=False)}"


def parse_json(text: str, *, source: str) -> list[HierarchyRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HierarchyFileError([f"{source}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})."]) from None
    except RecursionError:
        raise HierarchyFileError([f"{source}: invalid JSON (nested far deeper than {len(LEVELS)} levels)."]) from None
    if not isinstance(document, dict):
        raise HierarchyFileError([f"{source}: $: expected an object of business units, got {type(document).__name__}."])
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
                    errors.append(f"{source}: {child_where}: empty name.")
                    continue
                if len(levels) + 1 > len(LEVELS):
                    errors.append(f"{source}: {child_where}: deeper than {len(LEVELS)} levels.")
                    continue
                walk(child, levels + [name], child_where)
        elif isinstance(node, list):
            if not node:
                leaf(levels, where)
            for index, item in enumerate(node):
                item_where = f"{where}[{index}]"
                if not isinstance(item, str):
                    errors.append(f"{source}: {item_where}: expected a name (text), got {type(item).__name__}.")
                    continue
                name = _check_level(item, f"{source}: {item_where}", errors)
                if not name:
                    errors.append(f"{source}: {item_where}: empty name.")
                elif len(levels) + 1 > len(LEVELS):
                    errors.append(f"{source}: {item_where}: deeper than {len(LEVELS)} levels.")
                else:
                    leaf(levels + [name], item_where)
        elif node is None:
            leaf(levels, where)
        else:
            errors.append(f"{source}: {where}: expected an object or a list of names, got {type(node).__name__}.")

    for key, child in document.items():
        where = _json_key("$", key)
        name = _check_level(key, f"{source}: {where}", errors)
        if not name:
            errors.append(f"{source}: {where}: empty business unit name.")
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
            errors.append(f"{where}: routing_keywords is not a valid JSON list ({exc.msg}).")
            return []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(f"{where}: routing_keywords must be a JSON list of texts.")
            return []
    else:
        values = cell.replace("|", ";").split(";")
    keywords = clean_keywords(values)
    for keyword in keywords:
        problem = text_problem(keyword)
        if problem:
            errors.append(f"{where}: routing_keywords: {problem}")
        elif len(keyword) > MAX_KEYWORD_LENGTH:
            errors.append(f"{where}: keyword “{keyword[:40]}…” is longer than {MAX_KEYWORD_LENGTH} characters.")
    return keywords


def parse_csv(text: str, *, source: str) -> list[HierarchyRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise HierarchyFileError([f"{source}:1: empty file; expected the header {','.join(CSV_COLUMNS)}."]) from None
    except csv.Error as exc:
        raise HierarchyFileError([f"{source}:1: {exc}."]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("level1",) if c not in names]  # the other columns may be left out
    unknown = [h for h in names if h not in CSV_COLUMNS]
    duplicated = sorted({h for h in names if names.count(h) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if duplicated:
            problems.append(f"repeated column(s) {', '.join(duplicated)}")
        raise HierarchyFileError([f"{source}:1: {'; '.join(problems)}. Expected the header {','.join(CSV_COLUMNS)}."])
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
                errors.append(f"{where}: {len(record)} fields, the header has {len(names)}.")
                continue

            def cell(column: str, record: list[str] = record) -> str:
                # csv_unescape: the export's formula neutralisation
                return csv_unescape(record[index[column]]) if column in index else ""

            levels = [_check_level(cell(level), f"{where}: {level}", errors) for level in LEVELS]
            if not levels[0]:
                errors.append(f"{where}: level1 is empty.")
                continue
            gap = next((i for i in range(1, len(LEVELS)) if levels[i] and not levels[i - 1]), None)
            if gap is not None:
                errors.append(f"{where}: {LEVELS[gap]} is set while {LEVELS[gap - 1]} is empty.")
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
            errors.append(f"{row.where}: the path {' › '.join(row.path)} repeats {first[key]}.")
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
