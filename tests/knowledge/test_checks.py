from knowledge.checks import dimension_errors, embedding_dimensions_indexable

POSTGRESQL = "django.db.backends.postgresql"


def test_check__refuses_dimensions_hnsw_cannot_index_on_postgresql():
    (error,) = dimension_errors(4001, POSTGRESQL)
    assert error.id == "knowledge.E001" and "4001" in error.msg and "4000 or less" in error.hint
    assert dimension_errors(4000, POSTGRESQL) == []
    assert dimension_errors(3072, POSTGRESQL) == [], "text-embedding-3-large fits a half-precision index"
    assert dimension_errors(4001, "django.db.backends.sqlite3") == [], "SQLite searches exactly, without HNSW"


def test_check__current_settings_pass():
    assert embedding_dimensions_indexable(None) == []
