"""The portal in Brazilian Portuguese and English: the catalogue is complete (every string the code marks has a
translation, none empty or fuzzy, placeholders kept), compiled, and used on the people's pages — never on the API."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "pt_BR" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\{\s*\w+\s*\}\}")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_catalogue__every_entry_translated__none_fuzzy__placeholders_kept():
    po = catalogue()
    assert len(po) > 50
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po.translated_entries():
        for translation in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(translation)), entry.msgid


def test_catalogue__compiled_file_matches_the_catalogue():
    """locale/…/django.mo is what Django reads: it must hold every translation of the .po (``make messages``)."""
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in polib.mofile(str(MO))}
    for entry in catalogue().translated_entries():
        expected = entry.msgstr_plural if entry.msgid_plural else entry.msgstr
        assert compiled.get((entry.msgctxt, entry.msgid)) == expected, (
            f"django.mo is stale for {entry.msgid!r}: run make messages"
        )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is missing (scripts/ensure_gettext.sh)")
def test_catalogue__has_every_string_the_code_marks(tmp_path):
    """makemessages over a copy of the code: a marked string missing from the catalogue fails here, by name."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if name.startswith(("tests/", "bench/", "client/", "locale/")) or not name.endswith((".py", ".html", ".txt")):
            continue
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    (tmp_path / "locale").mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HIVE_DATABASE_URL": "postgresql://check@127.0.0.1:9/check",
        "HIVE_SECRET_KEY": "check-only-" + "x" * 50,
        "HIVE_DATA_DIR": str(tmp_path / "data"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pt_BR", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = polib.pofile(str(tmp_path / "locale/pt_BR/LC_MESSAGES/django.po"))
    marked = {(entry.msgctxt, entry.msgid) for entry in extracted}
    translated = {(entry.msgctxt, entry.msgid) for entry in catalogue().translated_entries()}
    assert sorted(marked - translated) == [], "marked for translation but not in locale/pt_BR (run make messages)"


def test_english_catalogue__lists_every_entry_of_the_portuguese_one__compiled():
    """locale/en is the source language's catalogue: the same entries as pt_BR (both from ``make messages``),
    empty ("as written in the code") unless someone rewords an English text there; compiled like the other."""
    english = polib.pofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    assert english.metadata["Language"] == "en"
    entries = {(entry.msgctxt, entry.msgid) for entry in english if not entry.obsolete}
    assert entries == {(entry.msgctxt, entry.msgid) for entry in catalogue() if not entry.obsolete}
    assert [entry.msgid for entry in english.fuzzy_entries()] == []
    compiled = polib.mofile(str(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo"))
    assert compiled.metadata["Language"] == "en"
    for entry in english.translated_entries():  # a rewording must reach django.mo
        assert any(row.msgid == entry.msgid and row.msgstr == entry.msgstr for row in compiled), entry.msgid


# --- Pages ---------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_pages__portuguese_from_the_cookie_or_the_browser(client, publisher):
    client.force_login(publisher)
    english = client.get("/admin/").content.decode()
    assert "Waiting for your review" in english and "Log out" in english

    client.cookies["django_language"] = "pt-br"
    portuguese = client.get("/admin/").content.decode()
    assert "Aguardando sua revisão" in portuguese  # the portal's string
    assert "Encerrar sessão" in portuguese  # Django's own
    assert '<html lang="pt-br"' in portuguese

    del client.cookies["django_language"]
    browser = client.get("/admin/", headers={"accept-language": "pt-BR,pt;q=0.9,en;q=0.5"}).content.decode()
    assert "Rascunhos que você editou" in browser


@pytest.mark.sqlite_smoke
def test_dashboard__in_portuguese__labels_and_localized_numbers(client, viewer):
    from datetime import timedelta

    from django.utils import timezone

    from monitoring.services import agent_metrics_ingest

    now = timezone.now()
    agent_metrics_ingest(
        records=[
            {
                "agent_id": "cards",
                "response_time_ms": 500,
                "success": i % 3 != 0,
                "created_at": now - timedelta(hours=1),
            }
            for i in range(3)
        ]
    )
    client.force_login(viewer)
    client.cookies["django_language"] = "pt-br"
    html = client.get("/admin/monitoring/agentmetric/dashboard/", {"range": "24h"}).content.decode()
    assert "Todos os agentes" in html and "Taxa de sucesso" in html and "Últimas 24 horas" in html
    assert "66,7%" in html  # a Brazilian decimal comma
    client.cookies["django_language"] = "en"
    assert "66.7%" in client.get("/admin/monitoring/agentmetric/dashboard/", {"range": "24h"}).content.decode()


@pytest.mark.sqlite_smoke
def test_switcher__remembers_the_choice(client, viewer):
    client.force_login(viewer)
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert response.cookies["django_language"].value == "pt-br"
    assert response.cookies["django_language"]["max-age"] == 365 * 24 * 3600
    html = client.get("/admin/").content.decode()
    assert "Roteamento" in html and '<option value="pt-br" lang="pt-br" selected>' in html


@pytest.mark.sqlite_smoke
def test_api__stays_english_whatever_the_language__even_after_a_portuguese_page(client, viewer):
    client.force_login(viewer)
    client.cookies["django_language"] = "pt-br"
    assert "Roteamento" in client.get("/admin/").content.decode()  # this thread's last language: Portuguese
    client.logout()
    response = client.get("/api/v1/agents/cards/config", headers={"accept-language": "pt-BR"})
    assert response.status_code == 401
    assert "Accept-Language" not in response.get("Vary", "")
    assert "Authentication credentials were not provided." in response.content.decode()  # DRF's, in English


# --- The apps' own pages ------------------------------------------------------------------------------------


def portuguese_page(client, user, url: str, **params) -> str:
    client.force_login(user)
    client.cookies["django_language"] = "pt-br"
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.sqlite_smoke
def test_typification__tree_and_console_in_portuguese(client, publisher):
    from typification.services import typification_create

    typification_create(level1="PagBank", level2="Pix", level3="Pix não recebido", routing_keywords=["pix"])
    tree = portuguese_page(client, publisher, "/admin/typification/typificationhierarchy/tree/", q="pix")
    assert "Expandir tudo" in tree and "1 caminho corresponde a “pix”." in tree and "Roteamento no ar:" in tree
    console = portuguese_page(client, publisher, "/admin/typification/typificationhierarchy/console/", text="pix")
    assert "Classificar" in console and "Pontuação" in console and "Este console classifica:" in console
    changelist = portuguese_page(client, publisher, "/admin/typification/typificationhierarchy/")
    assert "Árvore" in changelist and "Exportar CSV" in changelist
    assert "Palavras-chave de roteamento" in changelist


@pytest.mark.sqlite_smoke
def test_knowledge__list_and_import_in_portuguese(client, publisher):
    changelist = portuguese_page(client, publisher, "/admin/knowledge/knowledgeentry/")
    assert "Buscar pelo significado:" in changelist and "Importar CSV" in changelist
    assert "Precisa de atualização" in changelist  # the embedding filter
    assert "Base de conhecimento" in changelist or "base de conhecimento" in changelist
    upload = portuguese_page(client, publisher, "/admin/knowledge/knowledgeentry/import/")
    assert "Dois formatos são aceitos" in upload and "Arquivo CSV" in upload
    assert "Importar as linhas válidas e ignorar as inválidas" in upload


@pytest.mark.sqlite_smoke
def test_evaluations__test_case_form_in_portuguese(client, publisher):
    form = portuguese_page(client, publisher, "/admin/evaluations/evalcase/add/")
    assert "O que a resposta deve fazer" in form and "Ferramentas que devem ser chamadas" in form
    assert "Agente ou equipe" in form and "Deve conter" in form and "Um por linha." in form
    runs = portuguese_page(client, publisher, "/admin/evaluations/evalrun/")
    assert "Execuções de avaliação" in runs and "Na fila" in runs  # the state filter


@pytest.mark.sqlite_smoke
def test_webhooks__endpoint_form_and_delivery_log_in_portuguese(client, portal_admin):
    form = portuguese_page(client, portal_admin, "/admin/webhooks/webhookendpoint/add/")
    assert "Nenhum selecionado: todos os eventos." in form and "Adicionar endpoint de webhook" in form
    log = portuguese_page(client, portal_admin, "/admin/webhooks/webhookdelivery/")
    assert "Entregas de webhook" in log and "Falhou (será tentada de novo)" in log  # the status filter


@pytest.mark.sqlite_smoke
def test_audit__log_in_portuguese(client, portal_admin):
    from audit.services import audit_record

    audit_record(action="published", subject_type="agent", subject_id="cards", actor="ana", to_version=2)
    log = portuguese_page(client, portal_admin, "/admin/audit/auditrecord/")
    assert "Log de auditoria" in log and "O que estava no ar em cada momento" in log
    assert "Publicado" in log and "Liberação gradual iniciada" in log  # the row's action, and the action filter


def _agent_with_a_draft(make_agent):
    from agents.services import agent_update

    agent = make_agent("cards", publish=True)
    agent.refresh_from_db()
    agent_update(agent=agent, actor="eddie", note="Clarify the refund deadline", name="Second name")
    return agent


def test_versioning__status_panel_publish_and_history_in_portuguese(client, publisher, make_agent):
    agent = _agent_with_a_draft(make_agent)
    panel = portuguese_page(client, publisher, f"/admin/agents/agent/{agent.pk}/change/")
    assert "No ar:" in panel and "Rascunho:" in panel and "Histórico e reversão" in panel
    assert "Revisar alterações e publicar" in panel and "Por que esta alteração?" in panel
    publish = portuguese_page(client, publisher, f"/admin/agents/agent/{agent.pk}/publish/")
    assert "Publicar cards" in publish and "Comparado à <strong>v1</strong> no ar." in publish
    assert "Publicar a v2 agora" in publish and "Agendar a publicação" in publish and "Agendar para" in publish
    history = portuguese_page(client, publisher, f"/admin/agents/agent/{agent.pk}/versions/")
    assert "Histórico de cards" in history and "Linha do tempo" in history and "Rascunho" in history


def test_versioning__a_message_in_portuguese__the_audit_reason_stored_in_english(client, publisher, make_agent):
    from audit.models import AuditRecord

    agent = _agent_with_a_draft(make_agent)
    client.force_login(publisher)
    client.cookies["django_language"] = "pt-br"
    response = client.post(f"/admin/agents/agent/{agent.pk}/publish/", {"note": "Nome mais claro"}, follow=True)
    assert "ards v2 publicado. O runtime já o serve." in response.content.decode()  # the message list capitalises
    assert AuditRecord.objects.filter(subject_id="cards", action="published").latest("id").reason == "Nome mais claro"


def test_versioning__a_schedule_made_in_portuguese__audited_in_english(publisher, make_agent):
    from datetime import timedelta

    from django.utils import timezone, translation

    from audit.models import AuditRecord
    from versioning.schedules import schedule_publish

    _agent_with_a_draft(make_agent)
    with translation.override("pt-br"):
        schedule = schedule_publish(
            component_type="agent", component_id="cards", run_at=timezone.now() + timedelta(hours=1),
            actor=publisher, note="Segunda-feira",
        )  # fmt: skip
        assert schedule.what == "Publica a v2"  # what the pages show
    reason = AuditRecord.objects.filter(subject_id="cards", action="scheduled").latest("id").reason
    assert ": publish the draft — Segunda-feira" in reason


def test_runtime__api_keys_in_portuguese(client, portal_admin):
    from runtime.services import api_key_create

    api_key_create(name="prod-runtime", scopes=["config:read"])
    keys = portuguese_page(client, portal_admin, "/admin/runtime/apikey/")
    assert "Chaves de API" in keys and "Revogar as chaves selecionadas" in keys
    form = portuguese_page(client, portal_admin, "/admin/runtime/apikey/add/")
    assert "Escopos" in form and "Pesquisar na base de conhecimento." in form
    assert "Deixe vazio para uma chave que não expira." in form
    reports = portuguese_page(client, portal_admin, "/admin/runtime/runtimereport/")
    assert "Relatórios de runtime" in reports or "relatórios de runtime" in reports


def test_database_unavailable_page__in_the_cookie_language__whatever_the_thread_last_spoke(rf):
    from django.utils import translation

    from hive_portal.middleware import database_unavailable_response

    request = rf.get("/admin/")
    request.COOKIES["django_language"] = "pt-br"
    html = database_unavailable_response(request).content.decode()
    assert '<html lang="pt-br">' in html and "O banco de dados está indisponível" in html
    with translation.override("pt-br"):  # this worker's last page was Portuguese; this browser asks for nothing
        english = database_unavailable_response(rf.get("/admin/")).content.decode()
    assert '<html lang="en">' in english and "The database is unavailable" in english


def test_agents__change_form_in_portuguese__the_warning_too(client, publisher, make_agent):
    refunds = {"name": "refunds", "description": "Refunds up to a limit.", "parameters": {"max_amount": 500}}
    agent = make_agent("cards", tools=["card_lookup"], capabilities=[refunds])
    form = portuguese_page(client, publisher, f"/admin/agents/agent/{agent.pk}/change/")
    assert "ID do agente" in form and "Prompt de sistema" in form and "Configurações do modelo" in form
    assert "Comportamento" in form and "Usar o histórico da conversa" in form  # fieldset, form field
    assert "Capacidades (o que o agente sabe fazer, em ordem)" in form and "Excluir esta capacidade" in form
    assert 'aria-label="parâmetros (capacidade)"' in form  # a cell's label, for assistive technology
    assert "Domínios de conhecimento (1 = o domínio principal do agente)" in form
    assert "Adicionar uma ferramenta" in form and "— escolha uma ferramenta —" in form  # the tool picker
    assert "Nenhum runtime informou ter a(s) ferramenta(s) card_lookup" in form  # the unprovided-tools warning
    changelist = portuguese_page(client, publisher, "/admin/agents/agent/")
    assert "Ativar os agentes selecionados" in changelist and "Por capacidade" in changelist


def test_agents__tool_page_and_its_errors_in_portuguese(client, publisher, make_agent):
    from agents.models import Tool

    make_agent("cards", tools=["card_lookup"])
    tool = Tool.objects.get(name="card_lookup")
    page = portuguese_page(client, publisher, f"/admin/agents/tool/{tool.pk}/change/")
    assert "Parâmetros como JSON Schema (avançado)" in page and "Adicionar um parâmetro" in page
    assert "Onde é usada e quem a executa" in page and "Nenhum runtime informou ter esta ferramenta" in page
    assert "agente cards" in page  # used by
    assert "Por que esta alteração?" in page and "Responsável" in page and "Uma função do runtime" in page
    refused = client.post(
        "/admin/agents/tool/add/",
        {"name": "geo", "source": "function", "parameter_rows__present": "1", "parameter_rows__name": "bad name"},
    ).content.decode()
    assert "Parâmetro 1 (bad name): use somente letras, dígitos, sublinhados e hifens." in refused


def test_teams__change_form_in_portuguese(client, publisher, make_team):
    team = make_team("router")
    form = portuguese_page(client, publisher, f"/admin/teams/team/{team.pk}/change/")
    assert "ID da equipe" in form and "Líder" in form and "Membros (em ordem)" in form
    assert "O líder reescreve o pedido para os membros" in form and "Máximo de iterações" in form
    assert "Encaminhar: envia cada pedido a um membro" in form  # the mode's choices


@pytest.mark.postgres_only
def test_prompts__fragment_and_variable_pages_and_release_panel_in_portuguese(client, publisher, make_agent):
    from prompts.services import fragment_create, fragment_update, variable_create
    from versioning.components import get_kind
    from versioning.services import component_publish

    variable_create(actor="t", name="customer_name", type="string", required=True)
    tone = fragment_create(actor="t", note="n", name="tone", title="Tone", text="Oi {{ customer_name }}.")
    component_publish(kind=get_kind("fragment"), component_id="tone", actor="t")
    form = portuguese_page(client, publisher, f"/admin/prompts/promptfragment/{tone.pk}/change/")
    assert "Título" in form and "Onde é usado" in form and "Nada o inclui ainda." in form
    assert "Como o runtime o recebe" in form and "Fragmentos publicados mantêm o nome" in form
    variable = portuguese_page(client, publisher, "/admin/prompts/promptvariable/add/")
    assert "Número inteiro" in variable and "O runtime deve fornecê-la" in variable

    make_agent("cards", instructions=["{{> tone }}"], publish=True)
    fragment_update(fragment=tone, actor="t", note="warmer", text="Olá {{ customer_name }}!")
    panel = portuguese_page(client, publisher, f"/admin/prompts/promptfragment/{tone.pk}/publish/")
    assert "Publicados com tone" in panel and "agente cards" in panel and "altera: instruções" in panel
