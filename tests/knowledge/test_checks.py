from knowledge.checks import dimension_errors, embedding_dimensions_indexable

POSTGRESQL = "django.db.backends.postgresql"


def test_check__refuses_dimensions_hnsw_cannot_index_on_postgresql():
    (error,) = dimension_errors(3072, POSTGRESQL)
    assert error.id == "knowledge.E001" and "3072" in error.msg
    assert dimension_errors(2000, POSTGRESQL) == []
    assert dimension_errors(3072, "django.db.backends.sqlite3") == [], "SQLite searches exactly, without HNSW"


def test_check__current_settings_pass():
    assert embedding_dimensions_indexable(None) == []
