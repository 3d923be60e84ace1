"""Test data for the knowledge tests: entries with hand-made embeddings, written straight to the table."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.utils import timezone

from audit.models import AuditRecord
from knowledge.embedders import EmbedderError, HashingEmbedder, current_signature
from knowledge.models import KnowledgeEntry
from knowledge.services import knowledge_entry_create


def unit_vectors(count: int, *, seed: int, dimensions: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, dimensions or settings.HIVE_EMBEDDING_DIMENSIONS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_entries(vectors, *, business_units, category: str = "General", prefix: str = "q") -> list[KnowledgeEntry]:
    """One entry per vector; ``business_units`` is one name or a list (one per vector)."""
    if isinstance(business_units, str):
        business_units = [business_units] * len(vectors)
    now = timezone.now()
    signature = current_signature()
    entries = []
    for i, (vector, business_unit) in enumerate(zip(vectors, business_units)):
        entry = KnowledgeEntry(
            business_unit=business_unit,
            category=category,
            question=f"{prefix} {i}",
            answer=f"answer {i}",
            embedding=np.asarray(vector, dtype=np.float32),
            embedding_model=signature,
            embedded_at=now,
        )
        entry.content_hash = entry.compute_content_hash()
        entry.embedding_hash = entry.content_hash
        entries.append(entry)
    return KnowledgeEntry.objects.bulk_create(entries, batch_size=200)


class BrokenEmbedder(HashingEmbedder):
    def embed(self, texts):
        raise EmbedderError("service down")


def create_entry(**overrides) -> KnowledgeEntry:
    """An entry created through the service (validated, embedded, audited)."""
    values = {
        "business_unit": "pagbank",
        "category": "Cards",
        "question": "How do I block my card?",
        "answer": "In the app.",
    }
    values.update(overrides)
    return knowledge_entry_create(**values)


def audit_actions(entry_or_id) -> list[str]:
    """The audit trail's actions for one entry, oldest first."""
    return list(
        AuditRecord.objects.filter(subject_type="knowledge", subject_id=str(getattr(entry_or_id, "pk", entry_or_id)))
        .order_by("id")
        .values_list("action", flat=True)
    )
