"""Writes to the knowledge base. The admin, the API and the management commands all come through here.

Every change is audited (``versioning.audit.audit_record``) in the transaction that makes it.
Embeddings are computed before a write's transaction opens: an HTTP call to an embeddings service
never holds row locks. When the embedder fails, the entry is saved without an embedding (its status
shows "Missing") and ``embed_knowledge`` or the admin's re-embed action fills it in later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.services import apply_fields
from common.json_limits import validate_json_value
from knowledge import csv_format
from knowledge.content import clean_text, embedding_text
from knowledge.embedders import Embedder, EmbedderError, get_embedder
from knowledge.models import DUPLICATE_MESSAGE, KnowledgeEntry
from knowledge.selectors import knowledge_entries_needing_embedding
from versioning.audit import audit_record
from versioning.models import AuditSubject, HistoryAction

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("business_unit", "category", "subcategory", "question", "answer", "metadata")
Progress = Callable[[int], None]  # called with how many more items are done


def entry_snapshot(entry: KnowledgeEntry) -> dict:
    """The audited picture of an entry: everything but the embedding vector itself."""
    return {
        "business_unit": entry.business_unit,
        "category": entry.category,
        "subcategory": entry.subcategory,
        "question": entry.question,
        "answer": entry.answer,
        "metadata": entry.metadata,
        "content_hash": entry.content_hash,
        "embedding_model": entry.embedding_model,
        "embedded_at": entry.embedded_at.isoformat() if entry.embedded_at else None,
    }


def _attach_embedding(entries: list[KnowledgeEntry], embedder: Embedder | None) -> str | None:
    """Compute and set the embeddings of unsaved/changed entries; returns the error text if the embedder failed."""
    if not entries:
        return None
    try:
        embedder = embedder or get_embedder()
        vectors = embedder.embed([embedding_text(question=e.question, answer=e.answer) for e in entries])
    except EmbedderError as exc:
        logger.warning("Knowledge entries saved without embeddings: %s", exc)
        return str(exc)
    now = timezone.now()
    for entry, vector in zip(entries, vectors):
        entry.embedding = vector
        entry.embedding_hash = entry.content_hash
        entry.embedding_model = embedder.signature
        entry.embedded_at = now
    return None


def _clear_embedding(entry: KnowledgeEntry) -> None:
    entry.embedding = None
    entry.embedding_hash = ""
    entry.embedding_model = ""
    entry.embedded_at = None


def _save(entry: KnowledgeEntry) -> None:
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        # A concurrent identical entry slipped in between validation and the insert.
        if "unique_content" in str(exc):
            raise ValidationError(DUPLICATE_MESSAGE, code="duplicate") from exc
        raise


def knowledge_entry_create(
    *,
    business_unit: str,
    category: str,
    question: str,
    answer: str,
    subcategory: str = "",
    metadata: dict | None = None,
    actor=None,
    reason: str = "",
    embed: bool = True,
    embedder: Embedder | None = None,
) -> KnowledgeEntry:
    """Create an entry (validated, embedded when possible, audited as "created").

    If the embedder fails, the entry is saved without an embedding and ``entry.embedding_error`` says why.
    """
    entry = KnowledgeEntry(
        business_unit=business_unit,
        category=category,
        subcategory=subcategory or "",
        question=question,
        answer=answer,
        metadata={} if metadata is None else metadata,
    )
    validate_json_value(entry.metadata, field="metadata")
    entry.full_clean()
    entry.embedding_error = _attach_embedding([entry], embedder) if embed else None
    with transaction.atomic():
        _save(entry)
        audit_record(
            action=HistoryAction.CREATED,
            component_type=AuditSubject.KNOWLEDGE,
            component_id=str(entry.pk),
            actor=actor,
            reason=reason,
            before=None,
            after=entry_snapshot(entry),
        )
    return entry


def knowledge_entry_update(
    *,
    entry: KnowledgeEntry,
    data: dict,
    actor=None,
    reason: str = "",
    embed: bool = True,
    embedder: Embedder | None = None,
) -> KnowledgeEntry:
    """Apply ``data`` (any of the editable fields) to ``entry``, re-embed if its text changed, audit "updated".

    ``entry`` may already carry unsaved changes (as an admin form leaves it): the "before" snapshot is
    read from the database.
    """
    stored = KnowledgeEntry.objects.get(pk=entry.pk)
    apply_fields(
        entry,
        data,
        editable=EDITABLE_FIELDS,
        label="A knowledge entry",
        clean=lambda name, value: value if name == "metadata" else clean_text(value),
    )
    for name in ("embedding", "embedding_hash", "embedding_model", "embedded_at"):
        setattr(entry, name, getattr(stored, name))
    validate_json_value(entry.metadata, field="metadata")
    entry.full_clean()
    entry.embedding_error = None
    if entry.content_hash != stored.content_hash or not entry.embedding_model:
        _clear_embedding(entry)
        if embed:
            entry.embedding_error = _attach_embedding([entry], embedder)
    with transaction.atomic():
        before = entry_snapshot(KnowledgeEntry.objects.select_for_update().get(pk=entry.pk))
        _save(entry)
        after = entry_snapshot(entry)
        if before != after:
            audit_record(
                action=HistoryAction.UPDATED,
                component_type=AuditSubject.KNOWLEDGE,
                component_id=str(entry.pk),
                actor=actor,
                reason=reason,
                before=before,
                after=after,
            )
    return entry


@transaction.atomic
def knowledge_entry_delete(*, entry: KnowledgeEntry, actor=None, reason: str = "") -> None:
    """Delete an entry, keeping its last content in the audit trail ("deleted")."""
    stored = KnowledgeEntry.objects.select_for_update().defer("embedding").get(pk=entry.pk)
    audit_record(
        action=HistoryAction.DELETED,
        component_type=AuditSubject.KNOWLEDGE,
        component_id=str(stored.pk),
        actor=actor,
        reason=reason,
        before=entry_snapshot(stored),
        after=None,
    )
    stored.delete()


# --- embedding in bulk ---------------------------------------------------------------------------------


@dataclass
class EmbedReport:
    embedded: int = 0
    skipped: int = 0  # changed while being embedded; the next run picks them up
    failed: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def knowledge_embed_pending(
    *,
    ids: Iterable | None = None,
    business_unit: str | None = None,
    force: bool = False,
    batch_size: int | None = None,
    limit: int | None = None,
    actor=None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    stop_on_error: bool = True,
) -> EmbedReport:
    """(Re)compute embeddings that are missing or stale (all of them with ``force``), in batches.

    Each batch commits on its own, with one "updated" audit row per entry, so an interrupted run keeps
    its work and the next run resumes with what is still pending. A row edited while its batch was
    being embedded is left alone (its new text needs a new embedding). Raises nothing on embedder
    failure: the report carries the error.
    """
    embedder = embedder or get_embedder()
    batch_size = batch_size or getattr(embedder, "batch_size", None) or 100
    queryset = knowledge_entries_needing_embedding(signature=embedder.signature, force=force)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    if business_unit is not None:
        queryset = queryset.filter(business_unit=business_unit)
    report = EmbedReport()
    last_pk = None
    done = 0
    fields = ("pk", "question", "answer", "content_hash", "embedding_model", "embedding_hash", "embedded_at")
    while limit is None or done < limit:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        size = batch_size if limit is None else min(batch_size, limit - done)
        rows = list(page.values(*fields)[:size])
        if not rows:
            break
        last_pk = rows[-1]["pk"]
        try:
            vectors = embedder.embed([embedding_text(question=r["question"], answer=r["answer"]) for r in rows])
        except EmbedderError as exc:
            report.failed += len(rows)
            report.error = str(exc)
            if progress:
                progress(len(rows))
            if stop_on_error:
                break
            continue
        now = timezone.now()
        with transaction.atomic():
            for row, vector in zip(rows, vectors):
                updated = KnowledgeEntry.objects.filter(pk=row["pk"], content_hash=row["content_hash"]).update(
                    embedding=vector, embedding_hash=row["content_hash"], embedding_model=embedder.signature, embedded_at=now
                )
                if not updated:
                    report.skipped += 1
                    continue
                report.embedded += 1
                audit_record(
                    action=HistoryAction.UPDATED,
                    component_type=AuditSubject.KNOWLEDGE,
                    component_id=str(row["pk"]),
                    actor=actor,
                    reason=f"Embedding computed with {embedder.signature}.",
                    before={
                        "embedding_model": row["embedding_model"],
                        "embedding_hash": row["embedding_hash"],
                        "embedded_at": row["embedded_at"].isoformat() if row["embedded_at"] else None,
                    },
                    after={"embedding_model": embedder.signature, "embedding_hash": row["content_hash"], "embedded_at": now.isoformat()},
                    keep_snapshots=False,
                )
        done += len(rows)
        if progress:
            progress(len(rows))
    return report


# --- CSV import ----------------------------------------------------------------------------------------


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
    for name, messages in error.message_dict.items():
        label = layout.column_for(name) if name != "__all__" else ""
        text = " ".join(m.replace("This field cannot be blank.", "is empty.") for m in messages)
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
            batch = new_entries[start : start + step]
            error = _attach_embedding(batch, embedder)
            if error:
                report.embedding_error = error
                for entry in new_entries:
                    _clear_embedding(entry)
                break
            if progress:
                progress(len(batch))
        else:
            report.embedded = len(new_entries)

    try:
        with transaction.atomic():
            KnowledgeEntry.objects.bulk_create(new_entries, batch_size=500)
            report.created = len(new_entries)
            report.created_ids = [e.pk for e in new_entries]
            audit_record(
                action=HistoryAction.IMPORTED,
                component_type=AuditSubject.KNOWLEDGE,
                component_id=file_name,
                actor=actor,
                reason=f"CSV import ({layout.name})" + (f", {len(problems)} invalid row(s) skipped" if problems else ""),
                after=report.counts(),
            )
    except IntegrityError as exc:
        report.created, report.created_ids = 0, []
        raise KnowledgeImportError(
            file_name, [ImportProblem(0, f"the knowledge base changed during the import ({exc}); import the file again.")]
        ) from exc
    return report
