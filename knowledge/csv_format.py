"""The knowledge CSV layouts Automagik Hive uses, read into plain rows and written back.

Two layouts are read (header names are case-insensitive, in any order):

- ``question,answer,category,tags`` (Automagik Hive's ``knowledge_rag.csv``), optionally with
  ``business_unit`` and ``subcategory`` columns; ``tags`` are comma-separated words kept in metadata.
- ``problem,solution,typification,business_unit``: problem → question, solution → answer,
  typification → category.

The export writes the first layout with ``business_unit`` and ``subcategory``, so an exported file
imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext

from common.csv_safety import csv_safe_row, csv_unescape
from knowledge.content import clean_text

EXPORT_COLUMNS = ["question", "answer", "category", "tags", "business_unit", "subcategory"]


@dataclass(frozen=True)
class Layout:
    name: str
    columns: dict[str, str]  # CSV column -> model field
    required: tuple[str, ...]
    optional: tuple[str, ...]

    def column_for(self, field_name: str) -> str:
        for column, name in self.columns.items():
            if name == field_name:
                return column
        return field_name


QUESTION_ANSWER = Layout(
    name="question,answer,category,tags",
    columns={
        "question": "question",
        "answer": "answer",
        "category": "category",
        "tags": "tags",
        "business_unit": "business_unit",
        "subcategory": "subcategory",
    },
    required=("question", "answer", "category"),
    optional=("tags", "business_unit", "subcategory"),
)
PROBLEM_SOLUTION = Layout(
    name="problem,solution,typification,business_unit",
    columns={
        "problem": "question",
        "solution": "answer",
        "typification": "category",
        "business_unit": "business_unit",
        "subcategory": "subcategory",
    },
    required=("problem", "solution", "typification"),
    optional=("business_unit", "subcategory"),
)
LAYOUTS = (QUESTION_ANSWER, PROBLEM_SOLUTION)


@dataclass
class CsvRow:
    line: int  # where the record starts in the file (1-based), for messages
    values: dict[str, str]  # model field -> text (question, answer, category, business_unit, subcategory)
    tags: list[str] = field(default_factory=list)


@dataclass
class CsvProblem:
    line: int
    message: str


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, header)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark; ``CsvFileError`` names the line of a bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvFileError(
            line, gettext("the file is not UTF-8 text; save it as “CSV UTF-8” and upload it again.")
        ) from None


def _normalise_header(name: str) -> str:
    return clean_text(name).lower().replace(" ", "_").replace("-", "_")


def detect_layout(header: list[str], *, has_default_business_unit: bool) -> tuple[Layout, list[str]]:
    names = [_normalise_header(h) for h in header]
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise CsvFileError(
            1, gettext("the header repeats the column(s) %(columns)s.") % {"columns": ", ".join(duplicates)}
        )
    for layout in LAYOUTS:
        if set(layout.required[:2]) <= set(names):
            missing = [c for c in layout.required if c not in names]
            if missing:
                raise CsvFileError(
                    1,
                    gettext("the header lacks the column(s) %(columns)s (%(layout)s layout).")
                    % {"columns": ", ".join(missing), "layout": layout.name},
                )
            if "business_unit" not in names and not has_default_business_unit:
                raise CsvFileError(
                    1,
                    gettext("the file has no business_unit column: choose the business unit its entries belong to."),
                )
            return layout, names
    raise CsvFileError(
        1,
        gettext("unrecognised header “%(header)s”; expected %(first)s or %(second)s.")
        % {"header": ",".join(header), "first": QUESTION_ANSWER.name, "second": PROBLEM_SOLUTION.name},
    )


def read_rows(text: str, *, default_business_unit: str | None) -> tuple[Layout, list[CsvRow], list[CsvProblem]]:
    """Parse the CSV text: its layout, the rows (with start lines) and the rows that cannot be read.

    Values are not validated here beyond the shape of the record; the service validates entries.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[CsvRow] = []
    problems: list[CsvProblem] = []
    layout: Layout | None = None
    names: list[str] = []
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                CsvProblem(
                    start,
                    gettext("the row cannot be read (%(error)s); check its quotes. Nothing after it was read.")
                    % {"error": exc},
                )
            )
            if layout is None:
                raise CsvFileError(start, gettext("the header cannot be read (%(error)s).") % {"error": exc}) from None
            # The reader has lost its place inside a quoted field: nothing after this point is reliable.
            break
        line, start = start, reader.line_num + 1
        if not any(value.strip() for value in record):
            continue
        if layout is None:
            layout, names = detect_layout(record, has_default_business_unit=bool(default_business_unit))
            continue
        if len(record) != len(names):
            problems.append(
                CsvProblem(
                    line,
                    gettext("expected %(expected)d fields, found %(found)d; check commas and quotes.")
                    % {"expected": len(names), "found": len(record)},
                )
            )
            continue
        values: dict[str, str] = {"subcategory": "", "business_unit": ""}
        tags: list[str] = []
        for name, raw in zip(names, record):
            target = layout.columns.get(name)
            if target is None:
                continue  # a column the portal does not keep
            raw = csv_unescape(raw)  # the export's formula neutralisation
            if target == "tags":
                tags = [t for t in (clean_text(part) for part in raw.replace(";", ",").split(",")) if t]
            else:
                values[target] = clean_text(raw)
        if not values["business_unit"] and default_business_unit:
            values["business_unit"] = clean_text(default_business_unit)
        rows.append(CsvRow(line=line, values=values, tags=tags))
    if layout is None:
        raise CsvFileError(1, gettext("the file is empty; the first line must be a header."))
    return layout, rows, problems


def write_rows(entries: Iterable[dict], out) -> None:
    """Write entries (dicts with the model's fields and ``metadata``) in the export layout."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        writer.writerow(_export_row(entry))


def _export_row(entry: dict) -> list[str]:
    tags = (entry.get("metadata") or {}).get("tags") or []
    if not isinstance(tags, list):
        tags = [str(tags)]
    return csv_safe_row(
        [
            entry["question"],
            entry["answer"],
            entry["category"],
            ",".join(str(t) for t in tags),
            entry["business_unit"],
            entry.get("subcategory") or "",
        ]
    )


class _Echo:
    def write(self, value):
        return value


def stream_rows(entries: Iterable[dict]) -> Iterator[str]:
    """The export as an iterator of CSV lines (for a streaming HTTP response), UTF-8 BOM first for Excel."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        yield writer.writerow(_export_row(entry))
