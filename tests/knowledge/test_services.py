import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditRecord
from knowledge.models import EmbeddingStatus, KnowledgeEntry
from knowledge.services import (
    knowledge_entry_create,
    knowledge_entry_delete,
    knowledge_entry_update,
)

from .factories import BrokenEmbedder, audit_actions, create_entry

pytestmark = pytest.mark.django_db

SIGNATURE = "hashing-v1/1536"


@pytest.mark.sqlite_smoke
def test_create__embeds_and_audits_without_the_vector():
    entry = create_entry(question="  How do I block my card?  ")
    assert entry.question == "How do I block my card?"
    assert entry.embedding_status(SIGNATURE) == EmbeddingStatus.CURRENT
    assert len(KnowledgeEntry.objects.get(pk=entry.pk).embedding) == 1536
    record = AuditRecord.objects.get(subject_type="knowledge", subject_id=str(entry.pk))
    assert record.action == "created"
    assert record.after["question"] == "How do I block my card?"
    assert "embedding" not in record.after and record.after["embedding_model"] == SIGNATURE


def test_create__duplicate_is_a_validation_error():
    create_entry()
    with pytest.raises(ValidationError, match="already exists"):
        create_entry(question="How do I block my card?  ")
    assert KnowledgeEntry.objects.count() == 1


def test_create__embedder_failure_still_saves_without_embedding():
    entry = knowledge_entry_create(
        business_unit="pagbank", category="Cards", question="q", answer="a", embedder=BrokenEmbedder(dimensions=1536)
    )
    assert entry.embedding_error == "service down"
    stored = KnowledgeEntry.objects.get(pk=entry.pk)
    assert stored.embedding is None and stored.embedding_status(SIGNATURE) == EmbeddingStatus.MISSING


def test_update__text_change_reembeds_and_audits_the_diff():
    entry = create_entry()
    old_embedding = KnowledgeEntry.objects.get(pk=entry.pk).embedding
    knowledge_entry_update(entry=entry, data={"answer": "Open Cards, tap Block."}, reason="clearer")
    stored = KnowledgeEntry.objects.get(pk=entry.pk)
    assert stored.answer == "Open Cards, tap Block."
    assert stored.embedding_hash == stored.content_hash
    assert stored.embedding != old_embedding
    record = AuditRecord.objects.filter(subject_id=str(entry.pk), action="updated").get()
    assert record.diff["changed"]["answer"] == {"from": "In the app.", "to": "Open Cards, tap Block."}
    assert record.reason == "clearer"


def test_update__subcategory_only_keeps_the_embedding():
    entry = create_entry()
    embedded_at = entry.embedded_at
    knowledge_entry_update(entry=entry, data={"subcategory": "Lost"})
    assert KnowledgeEntry.objects.get(pk=entry.pk).embedded_at == embedded_at


def test_update__without_change_writes_no_audit_row():
    entry = create_entry()
    knowledge_entry_update(entry=entry, data={"question": "How do I block my card?"})
    assert audit_actions(entry) == ["created"]


def test_update__refuses_unknown_fields_and_blank_values():
    entry = create_entry()
    with pytest.raises(ValidationError):
        knowledge_entry_update(entry=entry, data={"embedding": [1.0]})
    with pytest.raises(ValidationError) as info:
        knowledge_entry_update(entry=KnowledgeEntry.objects.get(pk=entry.pk), data={"category": " "})
    assert "category" in info.value.message_dict


@pytest.mark.sqlite_smoke
def test_delete__audits_the_last_content():
    entry = create_entry()
    pk = entry.pk
    knowledge_entry_delete(entry=entry, actor="tester", reason="obsolete")
    assert not KnowledgeEntry.objects.filter(pk=pk).exists()
    record = AuditRecord.objects.get(subject_id=str(pk), action="deleted")
    assert record.before["answer"] == "In the app." and record.actor_name == "tester"


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
