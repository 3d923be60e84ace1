import pytest

from hive_portal.testing import error_of, key_client
from typification.classifier import KEYWORD_WEIGHT, KNOWLEDGE_WEIGHT, classify, knowledge_search_function, squash
from typification.services import business_unit_route_create, routing_publish, typification_create
from typification.text import fold, tokens

pytestmark = pytest.mark.django_db

CLASSIFY = "/api/v1/typification/classify"
TREE = "/api/v1/typification/tree"


@pytest.fixture
def hierarchy():
    """Three business units; the acquiring unit has two motives under one product (published: classify
    and the tree serve the published routing)."""
    rows = {
        "duvida": typification_create(
            level1="Adquirência Web",
            level2="Antecipação de Vendas",
            level3="Dúvidas sobre a Antecipação",
            business_unit="Adquirência Web",
            routing_keywords=["antecipação", "antecipar"],
        ),
        "fazer": typification_create(
            level1="Adquirência Web",
            level2="Antecipação de Vendas",
            level3="Cliente deseja fazer a Antecipação",
            business_unit="Adquirência Web",
            routing_keywords=["antecipação", "fazer antecipação", "antecipar agora"],
        ),
        "limite": typification_create(
            level1="Emissão",
            level2="Cartão de Crédito",
            level3="Limite do cartão",
            business_unit="Emissão",
            routing_keywords=["aumentar limite"],
        ),
        "pix": typification_create(
            level1="PagBank",
            level2="Pix",
            level3="Pix não recebido",
            business_unit="PagBank",
            routing_keywords=["pix", "transferência"],
        ),
    }
    routing_publish(actor="test-setup")
    return rows


@pytest.fixture
def routes(hierarchy, make_agent, make_team):
    agent = make_agent("adquirencia-specialist", publish=True, name="Adquirência Specialist")
    team = make_team("emissao-team", publish=True, name="Emissão Team")
    business_unit_route_create(business_unit="Adquirência Web", agent=agent)
    business_unit_route_create(business_unit="Emissão", team=team)
    routing_publish(actor="test-setup")
    return agent, team


@pytest.mark.sqlite_smoke
def test_fold__accents_case_punctuation():
    assert fold("  Antecipação  de VENDAS! ") == "antecipacao de vendas"
    assert tokens("Cartões, taxas e limites") == ["cartao", "taxa", "e", "limite"]


@pytest.mark.sqlite_smoke
def test_classify__without_accents__finds_the_accented_path(hierarchy):
    result = classify("quero saber sobre antecipacao", use_knowledge=False)

    assert result.results, "no result"
    best = result.results[0]
    assert best.business_unit == "Adquirência Web"
    assert {"antecipação"} <= {m.term for m in best.keyword_matches if m.source == "keyword"}


@pytest.mark.sqlite_smoke
def test_classify__ranks_the_path_with_more_evidence_first(hierarchy):
    result = classify("Quero FAZER ANTECIPAÇÃO agora", use_knowledge=False)

    ranked = [c.typification_id for c in result.results]
    assert ranked[:2] == [hierarchy["fazer"].pk, hierarchy["duvida"].pk]
    fazer, duvida = result.results[:2]
    assert fazer.score > duvida.score
    # The phrase "fazer antecipação" (1.25) + "antecipação" (1.0) + the label word "Antecipação", which 2 of
    # the 4 paths carry: 0.5 × log(4/2)/log(4) = 0.25. ("fazer" is a stopword.)
    assert [(m.term, m.source, m.weight) for m in fazer.keyword_matches] == [
        ("fazer antecipação", "keyword", 1.25),
        ("antecipação", "keyword", 1.0),
        ("Antecipação", "level2", 0.25),
    ]
    assert fazer.keyword_score == pytest.approx(squash(2.5))
    assert duvida.keyword_score == pytest.approx(squash(1.25))


@pytest.mark.sqlite_smoke
def test_classify__plural_and_label_words(hierarchy):
    result = classify("meus cartoes estao sem limites", use_knowledge=False)
    best = result.results[0]
    assert best.typification_id == hierarchy["limite"].pk
    assert {(m.term, m.source) for m in best.keyword_matches} >= {("Limite", "level3"), ("Cartão", "level2")}


@pytest.mark.sqlite_smoke
def test_classify__handler_from_business_unit_route(routes, hierarchy):
    agent, team = routes
    result = classify("aumentar limite do cartao", use_knowledge=False)
    assert result.results[0].handler.as_dict() == {"type": "team", "id": "emissao-team", "name": "Emissão Team"}
    assert result.route.id == "emissao-team"
    pix = classify("meu pix sumiu", use_knowledge=False)
    assert pix.results[0].business_unit == "PagBank" and pix.results[0].handler is None


@pytest.mark.sqlite_smoke
def test_classify__nothing_matches__empty(hierarchy):
    result = classify("bom dia", use_knowledge=False)
    assert result.results == [] and result.route is None


@pytest.mark.sqlite_smoke
def test_classify_api__contract(runtime_client, routes):
    response = runtime_client.post(CLASSIFY, {"text": "quero fazer antecipacao", "limit": 1}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"text", "results", "route", "knowledge_available", "routing_version"}
    assert body["routing_version"] == 2  # the hierarchy's version, then the one with the routes
    assert len(body["results"]) == 1
    best = body["results"][0]
    assert best["path"] == ["Adquirência Web", "Antecipação de Vendas", "Cliente deseja fazer a Antecipação"]
    assert best["handler"] == {"type": "agent", "id": "adquirencia-specialist", "name": "Adquirência Specialist"}
    assert body["route"] == best["handler"]
    assert 0 < best["score"] <= 1
    assert {"term", "source", "weight"} == set(best["matched_keywords"][0])
    assert body["knowledge_available"] is (knowledge_search_function() is not None)


@pytest.mark.sqlite_smoke
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "text"),
        ({"text": "  "}, "text"),
        ({"text": "pix", "limit": 0}, "limit"),
        ({"text": "pix", "limit": 51}, "limit"),
        ({"text": 0}, "text"),
        ({"text": True}, "text"),
        ({"text": ["pix"]}, "text"),
        ({"text": "pix", "limt": 3}, "limt"),
        ({"text": "pix\x00"}, "text"),
    ],
)
def test_classify_api__bad_input__400_in_the_shared_shape(runtime_client, payload, field):
    response = runtime_client.post(CLASSIFY, payload, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and field in error["fields"]


def test_classify_api__lone_surrogate__400_naming_the_field(runtime_client):
    response = runtime_client.generic("POST", CLASSIFY, '{"text": "pix \\udc00"}', content_type="application/json")
    assert response.status_code == 400, response.content
    assert "text" in error_of(response)["fields"]


def test_classify_api__deeply_nested_body__400_not_500(runtime_client):
    body = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = runtime_client.generic("POST", CLASSIFY, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.sqlite_smoke
def test_classify_api__needs_typification_scope(api_key_factory):
    _, raw = api_key_factory("metrics:write")
    response = key_client(raw).post(CLASSIFY, {"text": "pix"}, format="json")
    assert response.status_code == 403
    assert "typification:read" in error_of(response)["message"]
    assert key_client("hive_wrong").post(CLASSIFY, {"text": "pix"}, format="json").status_code == 401


@pytest.mark.sqlite_smoke
def test_tree_api__nested_counts_and_routes(runtime_client, routes):
    response = runtime_client.get(TREE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    adq = body["tree"][0]
    assert (adq["name"], adq["count"]) == ("Adquirência Web", 2)
    product = adq["children"][0]
    assert (product["name"], product["count"], product["id"]) == ("Antecipação de Vendas", 2, None)
    leaf = product["children"][1]
    assert (
        leaf["name"] == "Dúvidas sobre a Antecipação"
        and leaf["id"]
        and leaf["routing_keywords"] == ["antecipação", "antecipar"]
    )
    assert body["routes"]["Emissão"] == {"type": "team", "id": "emissao-team", "name": "Emissão Team"}
    assert body["routing_version"] == 2


# --- Knowledge similarity (the knowledge app's search, with the test session's hashing embedder) ---


@pytest.fixture
def knowledge(hierarchy):
    from knowledge.services import knowledge_entry_create

    return {
        "fatura": knowledge_entry_create(
            business_unit="Emissão",
            category="Fatura",
            question="Minha fatura veio com juros de atraso, o que fazer?",
            answer="Confira a data de vencimento e negocie no app.",
        ),
        "pix": knowledge_entry_create(
            business_unit="PagBank",
            category="Pix",
            question="Fiz um pix e o dinheiro não caiu na conta de destino",
            answer="Pix leva até 30 minutos em análise de segurança.",
        ),
    }


@pytest.mark.sqlite_smoke
def test_classify__knowledge_only__offers_the_business_unit_with_its_entries(knowledge, routes):
    result = classify("fatura com juros de atraso")

    assert result.knowledge_available is True
    best = result.results[0]
    assert (best.path, best.business_unit, best.typification_id) == (["Emissão"], "Emissão", None)
    assert best.keyword_score == 0
    match = best.knowledge_matches[0]
    assert match.id == str(knowledge["fatura"].pk) and match.question.startswith("Minha fatura")
    assert best.knowledge_score == pytest.approx(match.similarity) and 0 < match.similarity <= 1
    assert best.score == pytest.approx(KNOWLEDGE_WEIGHT * match.similarity)
    assert best.handler.id == "emissao-team"


@pytest.mark.sqlite_smoke
def test_classify__keywords_plus_knowledge__combined_score(knowledge):
    result = classify("meu pix não caiu na conta")

    best = result.results[0]
    assert best.business_unit == "PagBank"
    assert best.typification_id is not None  # the keyword-matched path, not a business-unit-level guess
    assert best.knowledge_matches and best.knowledge_matches[0].id == str(knowledge["pix"].pk)
    assert best.score == pytest.approx(KEYWORD_WEIGHT * best.keyword_score + KNOWLEDGE_WEIGHT * best.knowledge_score)
    assert best.knowledge_score > 0


@pytest.mark.sqlite_smoke
def test_classify_api__knowledge_matches_in_response(runtime_client, knowledge):
    body = runtime_client.post(CLASSIFY, {"text": "fatura com juros de atraso"}, format="json").json()
    assert body["knowledge_available"] is True
    assert body["results"][0]["knowledge_matches"][0]["question"].startswith("Minha fatura")
