import pytest

from hive_portal.testing import key_client, make_api_key, reset_process_caches


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    reset_process_caches()
    yield
    reset_process_caches()


@pytest.fixture
def api_key_factory(db):
    counter = {"n": 0}

    def factory(*scopes, name=None):
        counter["n"] += 1
        return make_api_key(name=name or f"key-{counter['n']}", scopes=scopes or ("config:read",))

    return factory


@pytest.fixture
def runtime_client(api_key_factory):
    """An API client holding a key with every scope."""
    _, raw = api_key_factory("config:read", "metrics:write", "knowledge:search", "typification:read", name="runtime")
    return key_client(raw)
