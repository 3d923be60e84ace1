import pytest
from django.core.exceptions import ValidationError

from knowledge.embedders import EmbedderError, HashingEmbedder
from knowledge.models import EmbeddingStatus, KnowledgeEntry
from knowledge.selectors import knowledge_embedding_counts
from knowledge.services import (
    knowledge_embed_pending,
    knowledge_entry_create,
    knowledge_entry_delete,
    knowledge_entry_update,
)
from versioning.models import VersionHistory

pytestmark = pytest.mark.django_db

SIGNATURE = "hashing-v1/1536"


class BrokenEmbedder(HashingEmbedder):
    def embed(self, texts):
        raise EmbedderError("service down")


def _create(**overrides):
    values = {"business_unit": "pagbank", "category": "Cards", "question": "How do I block my card?", "answer": "In the app."}
    values.update(overrides)
    return knowledge_entry_create(**values)


def _audit(entry_or_id):
    return list(
        VersionHistory.objects.filter(component_type="knowledge", component_id=str(getattr(entry_or_id, "pk", entry_or_id)))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.sqlite_smoke
def test_create__embeds_and_audits_without_the_vector():
    entry = _create(question="  How do I block my card?  ")
    assert entry.question == "How do I block my card?"
    assert entry.embedding_status(SIGNATURE) == EmbeddingStatus.CURRENT
    assert len(KnowledgeEntry.objects.get(pk=entry.pk).embedding) == 1536
    record = VersionHistory.objects.get(component_type="knowledge", component_id=str(entry.pk))
    assert record.action == "created"
    assert record.after["question"] == "How do I block my card?"
    assert "embedding" not in record.after and record.after["embedding_model"] == SIGNATURE


def test_create__duplicate_is_a_validation_error():
    _create()
    with pytest.raises(ValidationError, match="already exists"):
        _create(question="How do I block my card?  ")
    assert KnowledgeEntry.objects.count() == 1


def test_create__embedder_failure_still_saves_without_embedding():
    entry = knowledge_entry_create(
        business_unit="pagbank", category="Cards", question="q", answer="a", embedder=BrokenEmbedder(dimensions=1536)
    )
    assert entry.embedding_error == "service down"
    stored = KnowledgeEntry.objects.get(pk=entry.pk)
    assert stored.embedding is None and stored.embedding_status(SIGNATURE) == EmbeddingStatus.MISSING


def test_update__text_change_reembeds_and_audits_the_diff():
    entry = _create()
    old_embedding = KnowledgeEntry.objects.get(pk=entry.pk).embedding
    knowledge_entry_update(entry=entry, data={"answer": "Open Cards, tap Block."}, reason="clearer")
    stored = KnowledgeEntry.objects.get(pk=entry.pk)
    assert stored.answer == "Open Cards, tap Block."
    assert stored.embedding_hash == stored.content_hash
    assert stored.embedding != old_embedding
    record = VersionHistory.objects.filter(component_id=str(entry.pk), action="updated").get()
    assert record.diff["changed"]["answer"] == {"from": "In the app.", "to": "Open Cards, tap Block."}
    assert record.reason == "clearer"


def test_update__subcategory_only_keeps_the_embedding():
    entry = _create()
    embedded_at = entry.embedded_at
    knowledge_entry_update(entry=entry, data={"subcategory": "Lost"})
    assert KnowledgeEntry.objects.get(pk=entry.pk).embedded_at == embedded_at


def test_update__without_change_writes_no_audit_row():
    entry = _create()
    knowledge_entry_update(entry=entry, data={"question": "How do I block my card?"})
    assert _audit(entry) == ["created"]


def test_update__refuses_unknown_fields_and_blank_values():
    entry = _create()
    with pytest.raises(ValidationError):
        knowledge_entry_update(entry=entry, data={"embedding": [1.0]})
    with pytest.raises(ValidationError) as info:
        knowledge_entry_update(entry=KnowledgeEntry.objects.get(pk=entry.pk), data={"category": " "})
    assert "category" in info.value.message_dict


@pytest.mark.sqlite_smoke
def test_delete__audits_the_last_content():
    entry = _create()
    pk = entry.pk
    knowledge_entry_delete(entry=entry, actor="tester", reason="obsolete")
    assert not KnowledgeEntry.objects.filter(pk=pk).exists()
    record = VersionHistory.objects.get(component_id=str(pk), action="deleted")
    assert record.before["answer"] == "In the app." and record.actor_name == "tester"


def test_embed_pending__only_missing_or_stale_in_batches_and_resumable():
    broken = BrokenEmbedder(dimensions=1536)
    entries = [
        knowledge_entry_create(business_unit="bu", category="c", question=f"question {i}", answer="a", embedder=broken)
        for i in range(5)
    ]
    fresh = _create()
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
    assert _audit(fresh) == ["created"], "a current embedding is not recomputed"
    assert _audit(entries[0]) == ["created", "updated"]


def test_embed_pending__other_embedder_makes_everything_stale():
    _create()

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


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("metadata", [{"note": "a\x00b"}, {"tags": ["\ud800"]}, {"a": _nested(40)}])
def test_entry_create__metadata_the_database_cannot_store__refused_with_the_field(metadata):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        knowledge_entry_create(business_unit="pagbank", category="Cards", question="Q?", answer="A.", metadata=metadata)
    assert "metadata" in exc.value.message_dict
    assert KnowledgeEntry.objects.count() == 0
