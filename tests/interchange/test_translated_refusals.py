"""An import's errors in the language active when it runs, each still naming file and line: a capability's
problem is found at its own line in Portuguese too (by its number, not by the words of its label)."""

from pathlib import Path

import pytest
from django.utils import translation

from interchange.documents import ConfigFileError, ConfigFileErrors
from interchange.importing import components_import
from interchange.reading import read_document

pytestmark = pytest.mark.django_db

PORTAL_AGENT = """format: hive-portal/v1
kind: agent
config:
  id: cards
  name: Cards
  model: {provider: openai, id: gpt-4o, params: {}}
  instructions: [Be concise.]
  capabilities:
  - name: refunds
    parameters: {max_amount: 500}
  - name: refunds
"""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "capabilities.1: Capability 2: “refunds” is listed twice (also capability 1)."),
        ("pt-br", "capabilities.1: Capacidade 2: “refunds” aparece duas vezes (também na capacidade 1)."),
    ],
)
def test_bad_capability__named_at_its_line_in_either_language(tmp_path, language, expected):
    (tmp_path / "cards.yaml").write_text(PORTAL_AGENT, encoding="utf-8")
    with translation.override(language), pytest.raises(ConfigFileErrors) as caught:
        components_import(paths=[tmp_path], actor="t")
    assert [(Path(e.source).name, e.line, e.message) for e in caught.value.errors] == [("cards.yaml", 11, expected)]


def test_file_errors__portuguese_under_portuguese():
    text = "format: hive-portal/v1\nkind: robot\nconfig: {id: a}\n"
    with translation.override("pt-br"), pytest.raises(ConfigFileError) as caught:
        read_document(text, source="a.yaml")
    assert str(caught.value) == "a.yaml:2: kind deve ser agent ou team, não 'robot'."
    with pytest.raises(ConfigFileError) as caught:
        read_document(text, source="a.yaml")
    assert str(caught.value) == "a.yaml:2: kind must be agent or team, not 'robot'."
