import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

from agents.models import Agent
from audit.models import AuditRecord
from typification.models import BusinessUnitRoute, TypificationHierarchy
from typification.services import business_unit_route_create, routing_publish, typification_create

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_smoke]

DATA = Path(__file__).parent / "data"
BASE = "/admin/typification/typificationhierarchy/"
ROUTES = "/admin/typification/businessunitroute/"


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="x" * 12, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="typification"))
    return user


@pytest.fixture
def reader(db):
    user = User.objects.create_user("reader", password="x" * 12, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_typificationhierarchy"))
    return user


@pytest.fixture
def hierarchy():
    typification_create(
        level1="Adquirência Web", level2="Antecipação de Vendas", level3="Dúvidas", routing_keywords=["antecipação"]
    )
    typification_create(level1="Adquirência Web", level2="Antecipação de Vendas", level3="Fazer antecipação")
    typification_create(level1="PagBank", level2="Pix", level3="Pix não recebido", routing_keywords=["pix"])


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_changelist__1000_paths__pinned_queries(client, editor, django_assert_max_num_queries):
    TypificationHierarchy.objects.bulk_create(
        TypificationHierarchy(
            level1=f"BU{i % 4}", level2=f"Product {i % 50}", level3=f"Motive {i}", business_unit=f"BU{i % 4}"
        )
        for i in range(1000)
    )
    client.force_login(editor)
    with django_assert_max_num_queries(10):
        response = client.get(BASE)
    assert response.status_code == 200
    html = response.content.decode()
    for link in ("tree/", "console/", "import/", "export/?format=csv", "export/?format=json"):
        assert f"{BASE}{link}" in html


def test_changelist__search_ignores_accents_and_case(client, editor, hierarchy):
    client.force_login(editor)
    response = client.get(BASE, {"q": "ANTECIPACAO"})
    assert response.context["cl"].result_count == 2
    assert client.get(BASE, {"q": "nao recebido"}).context["cl"].result_count == 1


def test_edit_keywords__through_the_service_with_audit(client, editor, hierarchy):
    row = TypificationHierarchy.objects.get(level3="Pix não recebido")
    client.force_login(editor)
    response = client.post(
        f"{BASE}{row.pk}/change/",
        {
            "level1": "PagBank", "level2": "Pix", "level3": "Pix não recebido", "level4": "", "level5": "",
            "business_unit": "", "routing_keywords": "pix\nPIX\ntransferência; ted", "reason": "more words",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.routing_keywords == ["pix", "transferência", "ted"]
    assert row.business_unit == "PagBank"
    audit = AuditRecord.objects.filter(subject_type="typification", action="updated").get()
    assert (audit.actor_name, audit.reason, audit.after["routing_keywords"]) == (
        "editor",
        "more words",
        row.routing_keywords,
    )


def test_add_duplicate_path__form_error_nothing_written(client, editor, hierarchy):
    client.force_login(editor)
    response = client.post(
        f"{BASE}add/",
        {
            "level1": "PagBank",
            "level2": "Pix",
            "level3": "Pix não recebido",
            "business_unit": "PagBank",
            "routing_keywords": "",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert TypificationHierarchy.objects.count() == 3


def test_add_and_delete__audited(client, editor):
    client.force_login(editor)
    response = client.post(f"{BASE}add/", {"level1": "Emissão", "level2": "Cartão", "routing_keywords": "cartão"})
    assert response.status_code == 302
    row = TypificationHierarchy.objects.get()
    assert row.business_unit == "Emissão"
    client.post(f"{BASE}{row.pk}/delete/", {"post": "yes"})
    assert not TypificationHierarchy.objects.exists()
    actions = list(
        AuditRecord.objects.filter(subject_type="typification").order_by("id").values_list("action", "actor_name")
    )
    assert actions == [("created", "editor"), ("deleted", "editor")]


def test_tree__counts_expand_and_accent_insensitive_search(client, reader, hierarchy):
    client.force_login(reader)
    response = client.get(f"{BASE}tree/")
    assert response.status_code == 200
    text = text_of(response)
    assert "3 paths" in text
    assert "Adquirência Web 2" in text and "Antecipação de Vendas 2" in text and "PagBank 1" in text
    assert "edit keywords" not in text  # a reader cannot change
    found = text_of(client.get(f"{BASE}tree/", {"q": "nao RECEBIDO"}))
    assert "1 path matching" in found and "Pix não recebido" in found and "Adquirência" not in found


def test_console__ranked_paths_why_and_handler(client, reader, hierarchy, make_agent):
    agent = make_agent("adquirencia-specialist", publish=True, name="Adquirência Specialist")
    business_unit_route_create(business_unit="Adquirência Web", agent=agent)
    routing_publish(actor="test-setup")
    client.force_login(reader)

    response = client.get(f"{BASE}console/", {"text": "quero fazer uma antecipacao", "limit": 5})

    assert response.status_code == 200
    html = response.content.decode()
    route = re.search(r'<div class="typ-route" id="route">(.*?)</div>', html, re.S).group(1)
    assert "agent" in route and "Adquirência Specialist" in route and "adquirencia-specialist" in route
    rows = re.findall(r"<tr>(.*?)</tr>", html.split('id="results"')[1].split("<tbody>")[1], re.S)
    # The routing keyword "antecipação" outweighs label words: "Dúvidas" first, "Fazer antecipação" second.
    assert "Adquirência Web › Antecipação de Vendas › Dúvidas" in rows[0] and "routing keyword" in rows[0]
    assert "Adquirência Web › Antecipação de Vendas › Fazer antecipação" in rows[1]
    assert "routing keyword" not in rows[1] and "word of level2" in rows[1]
    assert "Adquirência Specialist" in rows[0]
    assert len(rows) == 2  # nothing from PagBank


def test_console__unrouted_business_unit__offers_to_add_a_route(client, reader, hierarchy):
    routing_publish(actor="test-setup")
    client.force_login(reader)
    html = client.get(f"{BASE}console/", {"text": "meu pix sumiu"}).content.decode()
    assert "no agent or team handles that business unit yet" in html
    assert f"{ROUTES}add/?business_unit=PagBank" in html


def test_console__needs_view_permission(client, db):
    clerk = User.objects.create_user("clerk", password="x" * 12, is_staff=True)
    client.force_login(clerk)
    assert client.get(f"{BASE}console/").status_code == 403
    assert client.get(f"{BASE}tree/").status_code == 403


def test_import_upload__counts_and_audit(client, editor):
    client.force_login(editor)
    upload = SimpleUploadedFile(
        "hierarchy.json", (DATA / "hierarchy.json").read_bytes(), content_type="application/json"
    )
    response = client.post(f"{BASE}import/", {"file": upload, "reason": "first load"}, follow=True)
    assert (
        "Imported hierarchy.json: 5 paths — 5 created, 0 updated, 0 unchanged, 0 deleted." in response.content.decode()
    )
    audit = AuditRecord.objects.get(action="imported")
    assert (audit.subject_type, audit.subject_id, audit.actor_name) == ("routing", "routing", "editor")
    assert audit.reason == "Imported hierarchy.json: first load" and audit.after["file"] == "hierarchy.json"
    # The routing draft the import saved is the same operation: one batch id on both rows.
    draft_saved = AuditRecord.objects.get(action="draft_saved", subject_type="routing")
    assert audit.batch_id is not None and draft_saved.batch_id == audit.batch_id


def test_import_upload__bad_file__lists_problems_writes_nothing(client, editor):
    client.force_login(editor)
    upload = SimpleUploadedFile("bad.csv", b"level1,level2,level3\nA,,C\n")
    response = client.post(f"{BASE}import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in html and "bad.csv:2: level3 is set while level2 is empty." in html
    assert not TypificationHierarchy.objects.exists()


def test_import__reader_cannot(client, reader):
    client.force_login(reader)
    assert client.get(f"{BASE}import/").status_code == 403


def test_export__both_formats(client, reader, hierarchy):
    client.force_login(reader)
    csv_response = client.get(f"{BASE}export/", {"format": "csv"})
    assert csv_response["Content-Disposition"] == 'attachment; filename="typification.csv"'
    assert "PagBank,Pix,Pix não recebido,,,PagBank,pix" in csv_response.content.decode()
    json_response = client.get(f"{BASE}export/", {"format": "json"})
    assert json_response.json()["PagBank"] == {"Pix": ["Pix não recebido"]}


def test_export__csv_neutralises_formulas_and_imports_back(client, reader):
    from typification.formats import parse

    typification_create(level1="=Evil", level2="-Minus", business_unit="=Evil", routing_keywords=["@at", "x"])
    client.force_login(reader)
    text = client.get(f"{BASE}export/", {"format": "csv"}).content.decode()
    assert "'=Evil,'-Minus,,,,'=Evil,'@at;x" in text
    row = parse(text, source="t.csv", fmt="csv")[0]
    assert row.levels[:2] == ("=Evil", "-Minus") and row.business_unit == "=Evil" and row.keywords == ("@at", "x")


def test_business_unit_routes__list_unrouted_and_save_through_service(
    client, editor, hierarchy, django_assert_max_num_queries
):
    agent = Agent.objects.create(agent_id="pix-specialist", name="Pix Specialist", model_name="gpt-4o")
    client.force_login(editor)
    page = client.get(ROUTES)
    unrouted = re.search(r'<div class="help" id="unrouted".*?</div>', page.content.decode(), re.S).group(0)
    assert "Adquirência Web" in unrouted and "PagBank" in unrouted

    response = client.post(
        f"{ROUTES}add/",
        {
            "business_unit": "PagBank",
            "agent": agent.pk,
            "team": "",
            "note": "",
            "reason": "Pix goes to the Pix specialist",
        },
    )
    assert response.status_code == 302
    route = BusinessUnitRoute.objects.get()
    assert route.agent == agent
    audit = AuditRecord.objects.get(subject_type="business_unit_route")
    assert (audit.action, audit.subject_id, audit.actor_name, audit.after["agent"]) == (
        "created",
        "PagBank",
        "editor",
        "pix-specialist",
    )

    with django_assert_max_num_queries(11):  # 9 + the routing status panel's two (live and draft, the page's URL)
        listing = client.get(ROUTES).content.decode()
    assert "agent Pix Specialist (pix-specialist)" in listing
    assert f'{BASE}?business_unit=PagBank">1<' in listing

    both = client.post(f"{ROUTES}add/", {"business_unit": "Adquirência Web", "agent": agent.pk, "team": "", "note": ""})
    assert both.status_code == 302
    neither = client.post(f"{ROUTES}add/", {"business_unit": "Outra", "agent": "", "team": "", "note": ""})
    assert "Choose either an agent or a team" in neither.content.decode()
