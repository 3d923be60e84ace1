import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from knowledge.content import content_hash
from knowledge.models import EmbeddingStatus, KnowledgeEntry

pytestmark = pytest.mark.django_db


def _entry(**overrides):
    values = {
        "business_unit": "pagbank",
        "category": "Cards",
        "question": "How do I block my card?",
        "answer": "In the app.",
    }
    values.update(overrides)
    return KnowledgeEntry(**values)


@pytest.mark.sqlite_smoke
def test_save__sets_content_hash_from_identity_fields():
    entry = _entry()
    entry.save()
    assert entry.content_hash == content_hash(
        business_unit="pagbank", category="Cards", question="How do I block my card?", answer="In the app."
    )
    entry.subcategory = "Lost cards"
    entry.save()
    assert entry.content_hash == content_hash(
        business_unit="pagbank", category="Cards", question="How do I block my card?", answer="In the app."
    ), "subcategory is not part of the identity"


def test_content_hash__ignores_surrounding_space_line_endings_and_unicode_form():
    a = content_hash(business_unit="bu", category="c", question="Cartão?\r\n", answer=" x ")
    b = content_hash(business_unit="bu", category="c", question="Carta\u0303o?", answer="x")
    assert a == b
    assert a != content_hash(business_unit="other", category="c", question="Cartão?", answer="x")


@pytest.mark.sqlite_smoke
def test_database__refuses_identical_entries():
    _entry().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _entry().save()


@pytest.mark.sqlite_smoke
def test_full_clean__reports_duplicate_and_blank_fields():
    _entry().save()
    with pytest.raises(ValidationError) as info:
        _entry().full_clean()
    assert "already exists" in str(info.value)
    with pytest.raises(ValidationError) as info:
        _entry(question="   ").full_clean()
    assert "question" in info.value.message_dict


@pytest.mark.sqlite_smoke
def test_database__refuses_embedding_without_provenance():
    entry = _entry()
    entry.embedding = [0.1] * 1536
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()


def test_embedding_status__missing_stale_current():
    entry = _entry()
    entry.save()
    assert entry.embedding_status("hashing-v1/1536") == EmbeddingStatus.MISSING
    entry.embedding_model, entry.embedding_hash = "hashing-v1/1536", entry.content_hash
    assert entry.embedding_status("hashing-v1/1536") == EmbeddingStatus.CURRENT
    assert entry.embedding_status("openai:text-embedding-3-small/1536") == EmbeddingStatus.STALE
    entry.embedding_hash = "0" * 64
    assert entry.embedding_status("hashing-v1/1536") == EmbeddingStatus.STALE


@pytest.mark.postgres_only
def test_schema__half_precision_hnsw_cosine_index_and_business_unit_btree_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'knowledge_base' AND schemaname = 'hive'"
        )
        indexes = dict(cursor.fetchall())
    hnsw = indexes["knowledge_base_halfvec_hnsw"]
    assert "USING hnsw (((embedding)::halfvec(1536)) halfvec_cosine_ops)" in hnsw, hnsw
    assert "knowledge_base_embedding_hnsw" not in indexes
    assert "m='16'" in hnsw and "ef_construction='64'" in hnsw
    assert "btree (business_unit)" in indexes["knowledge_base_bu_idx"]
