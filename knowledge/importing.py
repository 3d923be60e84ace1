"""Importing a knowledge CSV (either Automagik Hive layout): all rows checked first, new entries embedded before
the write, one "imported" audit row per new entry, all in one batch. The file layouts themselves are ``knowledge.csv_format``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common.batches import batch
from knowledge import csv_format
from knowledge.content import clean_text
from knowledge.embedders import Embedder, get_embedder
from knowledge.embedding import Progress, attach_embedding, clear_embedding
from knowledge.models import KnowledgeEntry
from knowledge.services import entry_snapshot


@dataclass
class ImportProblem:
    line: int
    message: str


class KnowledgeImportError(Exception):
    """The file was refused; nothing was written. ``messages`` are "FILE:LINE: message" sentences."""

    def __init__(self, file_name: str, problems: list[ImportProblem]):
        self.file_name = file_name
        self.problems = problems
        self.messages = [f"{file_name}:{p.line}: {p.message}" for p in problems]
        super().__init__("\n".join(self.messages))


@dataclass
class ImportReport:
    file_name: str
    layout: str = ""
    rows: int = 0
    created: int = 0
    unchanged: int = 0  # already in the knowledge base
    duplicates: int = 0  # repeated within the file
    skipped: list[str] = field(default_factory=list)  # "FILE:LINE: message" of invalid rows (--skip-invalid)
    embedded: int = 0
    embedding_error: str = ""
    created_ids: list = field(default_factory=list)

    def counts(self) -> dict:
        return {
            "layout": self.layout,
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "skipped": len(self.skipped),
            "embedded": self.embedded,
        }


def _row_problem(layout: csv_format.Layout, line: int, error: ValidationError) -> ImportProblem:
    parts = []
    for name, errors in error.error_dict.items():
        label = layout.column_for(name) if name != "__all__" else ""
        # A blank field by its code, not Django's wording (which is in the page's language).
        text = " ".join(
            gettext("is empty.") if item.code == "blank" else message for item in errors for message in item.messages
        )
        parts.append(f"{label}: {text}" if label else text)
    return ImportProblem(line, "; ".join(parts))


def knowledge_import_csv(
    *,
    data: bytes,
    file_name: str,
    business_unit: str | None = None,
    skip_invalid: bool = False,
    actor=None,
    embed: bool = True,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a knowledge CSV (either Automagik Hive layout, UTF-8 with or without BOM).

    Entries already present (same content hash) or repeated in the file are counted, not duplicated, so
    importing a file twice changes nothing. Invalid rows refuse the whole file with
    ``KnowledgeImportError`` (nothing written) unless ``skip_invalid``, which imports the rest and lists
    the skipped lines in the report. ``business_unit`` fills rows that name none. New entries are
    embedded before the write; one "imported" audit row records the counts. ``progress`` is called as
    rows are validated and embedded.
    """
    report = ImportReport(file_name=file_name)
    try:
        layout, rows, read_problems = csv_format.read_rows(
            csv_format.decode(data), default_business_unit=clean_text(business_unit) or None
        )
    except csv_format.CsvFileError as exc:
        raise KnowledgeImportError(file_name, [ImportProblem(exc.line, exc.message)]) from None
    report.layout = layout.name
    report.rows = len(rows) + len(read_problems)
    problems = [ImportProblem(p.line, p.message) for p in read_problems]

    candidates: list[tuple[int, KnowledgeEntry]] = []
    for row in rows:
        entry = KnowledgeEntry(**row.values, metadata={"tags": row.tags} if row.tags else {})
        try:
            # Field rules and normalisation here; uniqueness is settled below in one query per chunk.
            entry.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            problems.append(_row_problem(layout, row.line, exc))
        else:
            candidates.append((row.line, entry))
        if progress:
            progress(1)
    problems.sort(key=lambda p: p.line)
    if problems and not skip_invalid:
        raise KnowledgeImportError(file_name, problems)
    report.skipped = [f"{file_name}:{p.line}: {p.message}" for p in problems]

    existing: set[str] = set()
    hashes = [entry.content_hash for _, entry in candidates]
    for start in range(0, len(hashes), 1000):
        existing.update(
            KnowledgeEntry.objects.filter(content_hash__in=hashes[start : start + 1000]).values_list(
                "content_hash", flat=True
            )
        )
    new_entries: list[KnowledgeEntry] = []
    seen: set[str] = set()
    for _, entry in candidates:
        if entry.content_hash in existing:
            report.unchanged += 1
        elif entry.content_hash in seen:
            report.duplicates += 1
        else:
            seen.add(entry.content_hash)
            new_entries.append(entry)

    if embed and new_entries:
        embedder = embedder or get_embedder()
        step = getattr(embedder, "batch_size", None) or 100
        for start in range(0, len(new_entries), step):
            chunk = new_entries[start : start + step]
            error = attach_embedding(chunk, embedder)
            if error:
                report.embedding_error = error
                for entry in new_entries:
                    clear_embedding(entry)
                break
            if progress:
                progress(len(chunk))
        else:
            report.embedded = len(new_entries)

    try:
        with transaction.atomic():
            KnowledgeEntry.objects.bulk_create(new_entries, batch_size=500)
            report.created = len(new_entries)
            report.created_ids = [e.pk for e in new_entries]
            # One row per new entry, its subject the entry; the batch ties them to this file.
            reason = f"CSV import of {file_name} ({layout.name})" + (
                f", {len(problems)} invalid row(s) skipped" if problems else ""
            )
            with batch():
                for entry in new_entries:
                    audit_record(
                        action=AuditAction.IMPORTED,
                        subject_type=AuditSubject.KNOWLEDGE,
                        subject_id=entry.pk,
                        actor=actor,
                        reason=reason,
                        after=entry_snapshot(entry),
                    )
    except IntegrityError as exc:
        report.created, report.created_ids = 0, []
        raise KnowledgeImportError(
            file_name,
            [
                ImportProblem(
                    0,
                    gettext("the knowledge base changed during the import (%(error)s); import the file again.")
                    % {"error": exc},
                )
            ],
        ) from exc
    return report
