"""Computing knowledge embeddings: for entries about to be saved, and in bulk for those missing or stale.

Embeddings are computed outside any transaction: an HTTP call to an embeddings service never holds row locks.
Bulk runs commit batch by batch, with one "updated" audit row per entry, so an interrupted run keeps its work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common.batches import batch
from knowledge.content import embedding_text
from knowledge.embedders import Embedder, EmbedderError, get_embedder
from knowledge.models import KnowledgeEntry
from knowledge.selectors import knowledge_entries_needing_embedding

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with how many more items are done


def attach_embedding(entries: list[KnowledgeEntry], embedder: Embedder | None) -> str | None:
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


def clear_embedding(entry: KnowledgeEntry) -> None:
    entry.embedding = None
    entry.embedding_hash = ""
    entry.embedding_model = ""
    entry.embedded_at = None


@dataclass
class EmbedReport:
    embedded: int = 0
    skipped: int = 0  # changed while being embedded; the next run picks them up
    failed: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@batch()  # one batch id for every entry this run embeds
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
                    embedding=vector,
                    embedding_hash=row["content_hash"],
                    embedding_model=embedder.signature,
                    embedded_at=now,
                )
                if not updated:
                    report.skipped += 1
                    continue
                report.embedded += 1
                audit_record(
                    action=AuditAction.UPDATED,
                    subject_type=AuditSubject.KNOWLEDGE,
                    subject_id=str(row["pk"]),
                    actor=actor,
                    reason=f"Embedding computed with {embedder.signature}.",
                    before={
                        "embedding_model": row["embedding_model"],
                        "embedding_hash": row["embedding_hash"],
                        "embedded_at": row["embedded_at"].isoformat() if row["embedded_at"] else None,
                    },
                    after={
                        "embedding_model": embedder.signature,
                        "embedding_hash": row["content_hash"],
                        "embedded_at": now.isoformat(),
                    },
                    keep_snapshots=False,
                )
        done += len(rows)
        if progress:
            progress(len(rows))
    return report
