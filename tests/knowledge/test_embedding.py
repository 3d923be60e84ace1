"""Embedding in bulk: only what is missing or stale, batch by batch, resumable after a failure."""

import pytest

from knowledge.embedders import EmbedderError, HashingEmbedder
from knowledge.embedding import knowledge_embed_pending
from knowledge.models import KnowledgeEntry
from knowledge.selectors import knowledge_embedding_counts
from knowledge.services import knowledge_entry_create

from .factories import BrokenEmbedder, audit_actions, create_entry

pytestmark = pytest.mark.django_db

SIGNATURE = "hashing-v1/1536"


def test_embed_pending__only_missing_or_stale_in_batches_and_resumable():
    broken = BrokenEmbedder(dimensions=1536)
    entries = [
        knowledge_entry_create(business_unit="bu", category="c", question=f"question {i}", answer="a", embedder=broken)
        for i in range(5)
    ]
    fresh = create_entry()
    assert knowledge_embedding_counts() == {"total": 6, "missing": 5, "current": 1, "stale": 0}
    calls = []

    class Counting(HashingEmbedder):
        def embed(self, texts):
            calls.append(len(texts))
            return super().embed(texts)

    report = knowledge_embed_pending(embedder=Counting(dimensions=1536), batch_size=2, limit=3)
    assert report.embedded == 3 and calls == [2, 1]
    report = knowledge_embed_pending(embedder=Counting(dimensions=1536), batch_size=2)
    assert report.embedded == 2
    assert knowledge_embedding_counts()["current"] == 6
    assert audit_actions(fresh) == ["created"], "a current embedding is not recomputed"
    assert audit_actions(entries[0]) == ["created", "updated"]


def test_embed_pending__other_embedder_makes_everything_stale():
    create_entry()

    class Other(HashingEmbedder):
        @property
        def signature(self):
            return "other/1536"

    assert knowledge_embedding_counts(signature="other/1536")["stale"] == 1
    assert knowledge_embed_pending(embedder=Other(dimensions=1536)).embedded == 1
    assert KnowledgeEntry.objects.get().embedding_model == "other/1536"


def test_embed_pending__failure_keeps_earlier_batches_and_reports():
    for i in range(3):
        knowledge_entry_create(business_unit="bu", category="c", question=f"q{i}", answer="a", embed=False)

    class FailsSecond(HashingEmbedder):
        calls = 0

        def embed(self, texts):
            FailsSecond.calls += 1
            if FailsSecond.calls == 2:
                raise EmbedderError("quota exceeded")
            return super().embed(texts)

    report = knowledge_embed_pending(embedder=FailsSecond(dimensions=1536), batch_size=2)
    assert report.embedded == 2 and report.failed == 1 and report.error == "quota exceeded"
    assert knowledge_embedding_counts()["missing"] == 1


def test_embed_pending__one_batch_id_for_every_entry_of_a_run():
    from audit.models import AuditRecord

    broken = BrokenEmbedder(dimensions=1536)
    entries = [
        knowledge_entry_create(business_unit="bu", category="c", question=f"question {i}", answer="a", embedder=broken)
        for i in range(3)
    ]
    knowledge_embed_pending(embedder=HashingEmbedder(dimensions=1536))
    knowledge_embed_pending(embedder=HashingEmbedder(dimensions=1536), force=True)
    runs = AuditRecord.objects.filter(
        subject_type="knowledge", subject_id__in=[str(e.pk) for e in entries], reason__startswith="Embedding computed"
    )
    batches = {}
    for row in runs:
        batches.setdefault(row.batch_id, set()).add(row.subject_id)
    assert None not in batches
    assert len(batches) == 2 and all(len(ids) == 3 for ids in batches.values())
