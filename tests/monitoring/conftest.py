import pytest

from tests.monitoring.agno_tables import create_agno, drop_agno


@pytest.fixture
def agno_schema(db):
    """Agno's tables, empty, for one test (inside its transaction)."""
    create_agno()
    yield
    drop_agno()
