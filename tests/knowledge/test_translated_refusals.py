"""The knowledge import's and search's refusals: Portuguese on a Portuguese page (a blank field found by its error
code, not by Django's English wording), English through the API whatever the client's language."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from hive_portal.testing import error_of
from knowledge.models import KnowledgeEntry
from knowledge.selectors import validate_embedding

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:knowledge_knowledgeentry_import")


def _upload(text: str, name: str = "kb.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_page_in_portuguese__line_errors_in_portuguese(admin_client):
    admin_client.cookies["django_language"] = "pt-br"
    response = admin_client.post(
        IMPORT, {"file": _upload("question,answer,category,tags\nq,,c,\nq2,a2,c,\n"), "business_unit": "bu"}
    )
    html = response.content.decode()
    assert "kb.csv:2: answer: está vazio." in html
    assert KnowledgeEntry.objects.count() == 0
    response = admin_client.post(IMPORT, {"file": _upload("question,answer,category,tags\nq,a,c,\n")})
    assert (
        "kb.csv:1: o arquivo não tem a coluna business_unit: escolha a unidade de negócio a que suas entradas "
        "pertencem." in response.content.decode()
    )


def test_search_refusal__portuguese_in_a_portuguese_context__english_through_the_api(runtime_client):
    with translation.override("pt-br"), pytest.raises(ValidationError) as caught:
        validate_embedding([0.5, 0.5])
    assert caught.value.message_dict == {
        "embedding": ["Eram esperados 1536 números (HIVE_EMBEDDING_DIMENSIONS), vieram 2."]
    }
    response = runtime_client.post(
        "/api/v1/knowledge/search", {"embedding": [0.5, 0.5]}, format="json", HTTP_ACCEPT_LANGUAGE="pt-BR"
    )
    assert response.status_code == 400
    assert error_of(response)["fields"]["embedding"] == ["Expected 1536 numbers (HIVE_EMBEDDING_DIMENSIONS), got 2."]
