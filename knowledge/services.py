"""Writes to knowledge entries (create, update, delete). The admin, the API and the management commands all come
through here; bulk embedding is ``knowledge.embedding``, CSV import ``knowledge.importing``.

Every change is audited (``audit.services.audit_record``) in the transaction that makes it.
Embeddings are computed before a write's transaction opens: an HTTP call to an embeddings service
never holds row locks. When the embedder fails, the entry is saved without an embedding (its status
shows "Missing") and ``embed_knowledge`` or the admin's re-embed action fills it in later.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common.json_limits import validate_json_value
from common.services import apply_fields
from knowledge.content import clean_text
from knowledge.embedders import Embedder
from knowledge.embedding import attach_embedding, clear_embedding
from knowledge.models import DUPLICATE_MESSAGE, KnowledgeEntry

EDITABLE_FIELDS = ("business_unit", "category", "subcategory", "question", "answer", "metadata")


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
    entry.embedding_error = attach_embedding([entry], embedder) if embed else None
    with transaction.atomic():
        _save(entry)
        audit_record(
            action=AuditAction.CREATED,
            subject_type=AuditSubject.KNOWLEDGE,
            subject_id=str(entry.pk),
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
        clear_embedding(entry)
        if embed:
            entry.embedding_error = attach_embedding([entry], embedder)
    with transaction.atomic():
        before = entry_snapshot(KnowledgeEntry.objects.select_for_update().get(pk=entry.pk))
        _save(entry)
        after = entry_snapshot(entry)
        if before != after:
            audit_record(
                action=AuditAction.UPDATED,
                subject_type=AuditSubject.KNOWLEDGE,
                subject_id=str(entry.pk),
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
        action=AuditAction.DELETED,
        subject_type=AuditSubject.KNOWLEDGE,
        subject_id=str(stored.pk),
        actor=actor,
        reason=reason,
        before=entry_snapshot(stored),
        after=None,
    )
    stored.delete()
