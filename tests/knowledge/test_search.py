import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from knowledge.selectors import (
    _search_exact,
    knowledge_search,
    knowledge_similar_entries,
    scan_settings,
    search_params,
    search_sql,
    vector_literal,
)
from knowledge.services import knowledge_entry_create
from tests.knowledge.factories import make_entries, unit_vectors

pytestmark = pytest.mark.django_db

FAQ = [
    ("pagbank", "Cards", "How do I block a lost card?", "Open the app, go to Cards and tap Block card."),
    ("pagbank", "Cards", "How do I raise my card limit?", "Cards > Limit: ask for a new limit."),
    ("pagbank", "PIX", "My PIX transfer did not arrive", "PIX transfers can take up to 30 minutes."),
    ("adquirencia", "Sales", "How do I anticipate my card sales?", "Use Anticipate in the Sales area."),
    ("adquirencia", "Machines", "My card machine does not turn on", "Charge it for one hour, then hold the power key."),
]


def _faq():
    return [knowledge_entry_create(business_unit=b, category=c, question=q, answer=a) for b, c, q, a in FAQ]


@pytest.mark.sqlite_smoke
def test_search__text_query_finds_the_relevant_entry_first():
    _faq()
    results = knowledge_search(query="block lost card", limit=3)
    assert results[0].question == "How do I block a lost card?"
    assert len(results) == 3
    assert [r.distance for r in results] == sorted(r.distance for r in results)
    assert not hasattr(results[0], "embedding")


@pytest.mark.sqlite_smoke
def test_search__filters_by_business_unit_and_category():
    _faq()
    results = knowledge_search(query="card", business_unit="adquirencia", limit=10)
    assert {r.business_unit for r in results} == {"adquirencia"} and len(results) == 2
    results = knowledge_search(query="card", business_unit="pagbank", category="Cards", limit=10)
    assert {r.question for r in results} == {"How do I block a lost card?", "How do I raise my card limit?"}


@pytest.mark.sqlite_smoke
def test_search__exact_on_any_database_matches_numpy():
    vectors = unit_vectors(60, seed=7)
    entries = make_entries(vectors, business_units=["a", "b", "c"] * 20)
    query = unit_vectors(1, seed=8)[0]
    results = knowledge_search(embedding=query.tolist(), business_unit="b", limit=5)
    in_b = [(i, e) for i, e in enumerate(entries) if e.business_unit == "b"]
    distances = sorted((1 - float(vectors[i] @ query), e.pk) for i, e in in_b)[:5]
    assert [r.id for r in results] == [pk for _, pk in distances]
    assert [r.distance for r in results] == pytest.approx([d for d, _ in distances], abs=1e-5)


@pytest.mark.sqlite_smoke
def test_search__max_distance_drops_far_results():
    _faq()
    everything = knowledge_search(query="block lost card", limit=5)
    cut = (everything[0].distance + everything[1].distance) / 2
    assert [r.id for r in knowledge_search(query="block lost card", limit=5, max_distance=cut)] == [everything[0].id]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "query"),
        ({"query": "x", "embedding": [1.0] * 1536}, "query"),
        ({"query": "   "}, "query"),
        ({"query": "?!"}, "query"),
        ({"embedding": [1.0] * 10}, "embedding"),
        ({"embedding": [0.0] * 1536}, "embedding"),
        ({"embedding": [float("nan")] * 1536}, "embedding"),
        ({"embedding": ["a"] * 1536}, "embedding"),
        ({"query": "x", "limit": 51}, "limit"),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "max_distance": 3}, "max_distance"),
    ],
)
def test_search__invalid_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValidationError) as info:
        knowledge_search(**kwargs)
    assert field in info.value.message_dict


def test_search__entries_without_embedding_are_not_returned():
    knowledge_entry_create(business_unit="bu", category="c", question="block card", answer="a", embed=False)
    assert knowledge_search(query="block card") == []


@pytest.mark.sqlite_smoke
def test_similar_entries__nearest_in_the_same_business_unit_without_itself():
    entries = _faq()
    near_duplicate = knowledge_entry_create(
        business_unit="pagbank", category="Cards", question="How can I block my lost card?", answer="Tap Block card."
    )
    similar = knowledge_similar_entries(entry=entries[0], limit=2)
    assert [s.id for s in similar][0] == near_duplicate.pk
    assert entries[0].pk not in [s.id for s in similar]
    assert {s.business_unit for s in knowledge_similar_entries(entry=entries[0], limit=5)} == {"pagbank"}


# --- PostgreSQL: the filtered approximate-index trap ------------------------------------------------------


def _plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def hnsw_only_table():
    """1,000 random entries; 1% in business unit "rare". The btree on business_unit is dropped inside the
    test's transaction (rolled back after) and sequential scans are off, so the planner must use HNSW."""
    vectors = unit_vectors(1000, seed=11)
    units = ["common"] * 1000
    for i in range(0, 1000, 100):
        units[i] = "rare"
    entries = make_entries(vectors, business_units=units)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX knowledge_base_bu_idx")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE knowledge_base")
    return vectors, entries


def _session_scan(**values):
    """Change the scan settings the portal's connections carry, for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [f"hnsw.{name}", str(value)])


@pytest.mark.postgres_only
def test_filtered_search__returns_a_full_page_where_a_plain_hnsw_scan_returns_fewer(hnsw_only_table):
    vectors, entries = hnsw_only_table
    _session_scan(ef_search=10)
    query = unit_vectors(1, seed=12)[0]
    sql = search_sql(business_unit=True, category=False)
    params = search_params(vector_literal(query), business_unit="rare", category=None, limit=10)
    assert "knowledge_base_halfvec_hnsw" in _plan(sql, params)

    # The trap: the same statement without iterative scans finds only what its 10 candidates contain.
    _session_scan(iterative_scan="off")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        plain = cursor.fetchall()
    assert len(plain) < 10
    _session_scan(iterative_scan=settings.HIVE_KNOWLEDGE_ITERATIVE_SCAN)  # what every connection carries

    with CaptureQueriesContext(connection) as queries:
        results = knowledge_search(embedding=query.tolist(), business_unit="rare", limit=10)
    assert len(results) == 10
    assert not any("count(*)" in q["sql"] for q in queries.captured_queries), "the index scan filled the page itself"
    exact = _search_exact(query, business_unit="rare", category=None, limit=10)
    assert len({r.id for r in results} & {r.id for r in exact}) >= 9
    assert [r.distance for r in results] == sorted(r.distance for r in results)


@pytest.mark.postgres_only
def test_filtered_search__falls_back_to_exact_when_the_iterative_scan_gives_up(hnsw_only_table):
    _session_scan(ef_search=10, max_scan_tuples=100)
    query = unit_vectors(1, seed=13)[0]
    with CaptureQueriesContext(connection) as queries:
        results = knowledge_search(embedding=query.tolist(), business_unit="rare", limit=10)
    assert any("count(*)" in q["sql"] for q in queries.captured_queries), "the scan stopped early"
    exact = _search_exact(query, business_unit="rare", category=None, limit=10)
    assert [r.id for r in results] == [r.id for r in exact]


@pytest.mark.postgres_only
def test_search_index__holds_half_precision_and_results_are_reranked_in_full_precision(hnsw_only_table):
    """The HNSW index is on embedding::halfvec (half the memory); the page is ordered by the exact
    full-precision distance, so it matches an exact search wherever the index found the same rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_base_halfvec_hnsw'")
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'knowledge_base_embedding_hnsw'")
        assert cursor.fetchone()[0] == 0, "the full-precision index is gone"
    assert "halfvec(1536)" in definition and "halfvec_cosine_ops" in definition, definition
    vectors, _ = hnsw_only_table
    query = vectors[5] + 0.01 * unit_vectors(1, seed=14)[0]
    results = knowledge_search(embedding=query.tolist(), limit=10)
    exact = _search_exact(np.asarray(query, dtype=np.float32), business_unit=None, category=None, limit=10)
    assert [r.id for r in results] == [r.id for r in exact]
    assert [round(r.distance, 6) for r in results] == [round(r.distance, 6) for r in exact]


@pytest.mark.postgres_only
def test_search__connections_carry_the_scan_settings(db):
    from django.db import connection

    knowledge_search(query="pix", limit=5)  # loads pgvector in this session
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('hnsw.iterative_scan'), current_setting('hnsw.max_scan_tuples')")
        assert cursor.fetchone() == (
            settings.HIVE_KNOWLEDGE_ITERATIVE_SCAN,
            str(settings.HIVE_KNOWLEDGE_MAX_SCAN_TUPLES),
        )
        # Without it the half-precision index lost to an exact scan at mid sizes (bench/knowledge_api.py).
        cursor.execute("SELECT current_setting('random_page_cost')")
        assert cursor.fetchone() == ("1.1",)


@pytest.mark.postgres_only
def test_search__statement_prepared_once_per_connection_and_nothing_else_is(db):
    """Each connection parses and plans the search once (bench/knowledge_api.py: planning cost the server about a
    tenth of an unfiltered search); Django's own queries stay unprepared, and the query log still shows the search."""
    _faq()
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    with CaptureQueriesContext(connection) as queries:
        first = knowledge_search(query="block lost card", limit=3)
        second = knowledge_search(query="block lost card", limit=3)
    assert [r.id for r in first] == [r.id for r in second]
    assert all(q["sql"] and "knowledge_base" in q["sql"] for q in queries.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE from_sql IS FALSE")
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 1 and "halfvec" in prepared[0], prepared
    assert connection.connection.prepare_threshold == threshold is None, "Django's queries are not prepared"


def test_search__rerank_factor_sets_the_candidates_of_a_page():
    assert search_params("v", business_unit=None, category=None, limit=10)["candidates"] == 10
    with override_settings(HIVE_KNOWLEDGE_RERANK_FACTOR=3):
        params = search_params("v", business_unit="pix", category="cards", limit=10)
    assert params == {"vector": "v", "business_unit": "pix", "category": "cards", "limit": 10, "candidates": 30}


def test_search__scan_settings_values():
    assert scan_settings(10) == ["100", "relaxed_order", "20000"]
    assert scan_settings(50)[0] == "100"
    with override_settings(HIVE_KNOWLEDGE_EF_SEARCH=10):
        assert scan_settings(40)[0] == "40", "ef_search never below the page size"
    _faq()
    knowledge_search(query="card")
    with connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.iterative_scan")
        # pytest-django keeps the test in one transaction: the setting is still there, but only here.
        assert cursor.fetchone()[0] == "relaxed_order"
