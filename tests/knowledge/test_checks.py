from django.test import override_settings

from knowledge.checks import embedding_dimensions_indexable


def test_check__refuses_dimensions_hnsw_cannot_index_on_postgresql():
    databases = {"default": {"ENGINE": "django.db.backends.postgresql"}}
    with override_settings(HIVE_EMBEDDING_DIMENSIONS=3072, DATABASES=databases):
        (error,) = embedding_dimensions_indexable(None)
    assert error.id == "knowledge.E001" and "3072" in error.msg
    with override_settings(HIVE_EMBEDDING_DIMENSIONS=1536, DATABASES=databases):
        assert embedding_dimensions_indexable(None) == []
    with override_settings(HIVE_EMBEDDING_DIMENSIONS=3072, DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}}):
        assert embedding_dimensions_indexable(None) == []
