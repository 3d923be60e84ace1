"""The shared checks (Agno spec, JSON limits) speak the language active when they refuse."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from common.agno_spec import validate_parameters, validate_tools
from common.json_limits import validate_json_value


def test_agno_spec__portuguese_under_portuguese__english_by_default():
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        validate_parameters({"markdown": "yes", "num_history_runs": -1}, kind="agent")
    assert caught.value.message_dict["parameters"] == [
        "markdown deve ser um booleano, não 'yes'.",
        "num_history_runs não pode ser negativo.",
    ]
    with pytest.raises(ValidationError) as caught:
        validate_tools(["card_lookup", "card_lookup"])
    assert caught.value.message_dict["tools"] == ["Tool “card_lookup” is listed twice."]


def test_json_limits__portuguese_under_portuguese__path_kept():
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        validate_json_value({"tags": ["a\x00b"]}, field="metadata")
    assert caught.value.message_dict["metadata"] == [
        "Contém um caractere NUL (\\u0000), que não pode ser armazenado. (em tags[0])"
    ]
    with pytest.raises(ValidationError) as caught:
        validate_json_value({"tags": ["a\x00b"]}, field="metadata")
    assert caught.value.message_dict["metadata"] == [
        "Contains a NUL character (\\u0000), which cannot be stored. (at tags[0])"
    ]
