import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditRecord
from runtime.models import RuntimeState
from typification.formats import HierarchyFileError, parse, to_csv, to_json
from typification.models import TypificationHierarchy
from typification.selectors import typification_rows, typification_tree_document
from versioning.selectors import component_status

DATA = Path(__file__).parent / "data"

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_smoke]


def generation() -> int:
    return RuntimeState.objects.get(pk=1).config_generation


def run_import(*args) -> str:
    out = StringIO()
    call_command("import_typification", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def paths() -> list[list[str]]:
    return [row.path for row in TypificationHierarchy.objects.all()]


def write(tmp_path, name, text) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import__nested_json__one_path_per_leaf_with_business_unit_from_level1():
    output = run_import(DATA / "hierarchy.json")

    assert "5 paths — 5 created, 0 updated, 0 unchanged, 0 deleted" in output
    assert TypificationHierarchy.objects.count() == 5
    row = TypificationHierarchy.objects.get(level4="Cliente orientado a fazer o processo via máquina")
    assert row.path == [
        "Adquirência Web",
        "Antecipação de Vendas",
        "Cliente deseja fazer a Antecipação de Vendas",
        "Cliente orientado a fazer o processo via máquina",
    ]
    assert row.business_unit == "Adquirência Web"
    assert row.routing_keywords == []


def test_import__twice__is_idempotent_and_audited_once_per_import():
    run_import(DATA / "hierarchy.json")
    ids = set(TypificationHierarchy.objects.values_list("id", flat=True))
    before = generation()

    output = run_import(DATA / "hierarchy.json")

    assert "0 created, 0 updated, 5 unchanged, 0 deleted" in output
    assert set(TypificationHierarchy.objects.values_list("id", flat=True)) == ids
    assert generation() == before  # nothing changed, runtime caches stay valid
    audits = list(AuditRecord.objects.filter(subject_type="routing", action="imported").order_by("id"))
    assert [(a.subject_id, a.after["file"]) for a in audits] == [("routing", "hierarchy.json")] * 2
    assert audits[0].batch_id != audits[1].batch_id  # two imports, two operations
    assert audits[0].after["created"] == 5 and audits[1].after["unchanged"] == 5
    assert audits[0].actor_name == "system"


def test_import__csv__keywords_and_business_unit_default():
    run_import(DATA / "hierarchy.csv")

    assert TypificationHierarchy.objects.count() == 4
    app = TypificationHierarchy.objects.get(level4="Cliente orientado a fazer o processo via app")
    assert app.business_unit == "Adquirência Web"  # empty cell → level 1
    assert app.routing_keywords == ["antecipar vendas", "app"]
    card = TypificationHierarchy.objects.get(level1="Emissão")
    assert card.routing_keywords == ["limite", "aumentar limite"]  # JSON list form


def test_import__json_after_csv__keeps_keywords__change_goes_to_the_draft_not_the_runtime(tmp_path):
    run_import(DATA / "hierarchy.csv", "--publish")
    before = generation()

    output = run_import(DATA / "hierarchy.json")

    assert "1 created, 0 updated, 4 unchanged" in output  # the "via máquina" leaf is new
    assert "routing draft" in output
    assert TypificationHierarchy.objects.get(level1="PagBank").routing_keywords == ["pix", "transferência"]
    assert generation() == before  # the runtime keeps serving the published routing
    status = component_status("routing", "routing")
    assert (status.published.version, status.draft.version) == (1, 2)
    assert len(status.draft.config["paths"]) == 5 and len(status.published.config["paths"]) == 4
    assert status.draft.change_note == "Imported hierarchy.json"


def test_import__publish__publishes_the_routing_in_the_same_transaction():
    before = generation()
    output = run_import(DATA / "hierarchy.csv", "--publish", "--reason", "first load")

    assert "Published routing v1" in output
    assert generation() == before + 1
    published = component_status("routing", "routing").published
    assert (published.version, published.change_note, published.published_by_name) == (1, "first load", "system")
    assert len(published.config["paths"]) == 4
    assert typification_tree_document()["count"] == 4


def test_import__publish_refused__nothing_imported(make_agent):
    """--publish is all or nothing: a routing that cannot go live leaves the tables and versions untouched."""
    from agents.models import Agent
    from typification.services import business_unit_route_create

    agent = make_agent("draft-only")  # never published: a route to it cannot go live
    business_unit_route_create(business_unit="Emissão", agent=agent, reason="set up")
    draft = component_status("routing", "routing").draft

    with pytest.raises(CommandError, match="Emissão → agent draft-only has no published version yet"):
        run_import(DATA / "hierarchy.csv", "--publish")

    assert TypificationHierarchy.objects.count() == 0
    status = component_status("routing", "routing")
    assert status.published is None and status.draft.content_hash == draft.content_hash
    assert Agent.objects.filter(agent_id="draft-only").exists()


def test_import__csv_again_with_new_keywords__updates_and_audits(tmp_path):
    run_import(DATA / "hierarchy.csv")
    changed = (DATA / "hierarchy.csv").read_text(encoding="utf-8").replace("pix;transferência", "pix;PIX;ted")
    output = run_import(write(tmp_path, "v2.csv", changed))

    assert "0 created, 1 updated, 3 unchanged" in output
    assert TypificationHierarchy.objects.get(level1="PagBank").routing_keywords == ["pix", "ted"]  # PIX = pix


def test_import__replace__deletes_paths_not_in_file(tmp_path):
    run_import(DATA / "hierarchy.json")
    only_pix = write(
        tmp_path,
        "pix.json",
        json.dumps({"PagBank": {"Pix": {"Pix não recebido": ["Cliente orientado sobre prazo do Pix"]}}}),
    )

    output = run_import(only_pix, "--replace")

    assert "0 created, 0 updated, 1 unchanged, 4 deleted" in output
    assert paths() == [["PagBank", "Pix", "Pix não recebido", "Cliente orientado sobre prazo do Pix"]]


def test_import__accents_in_other_unicode_form__same_path(tmp_path):
    run_import(DATA / "hierarchy.json")
    decomposed = (DATA / "hierarchy.json").read_text(encoding="utf-8").replace("ã", "a\u0303")
    output = run_import(write(tmp_path, "nfd.json", decomposed))
    assert "0 created, 0 updated, 5 unchanged" in output


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.json", '{"A": {"B": ["x",]}', "broken.json:1:18: invalid JSON"),
        ("list.json", '["A"]', "list.json: $: expected an object of business units"),
        ("number.json", '{"A": {"B": 3}}', 'number.json: $."A"."B": expected an object or a list of names, got int'),
        ("item.json", '{"A": {"B": ["ok", {"x": 1}]}}', 'item.json: $."A"."B"[1]: expected a name (text), got dict'),
        ("empty.json", '{"A": {"  ": []}}', 'empty.json: $."A"."  ": empty name'),
        (
            "deep.json",
            '{"A": {"B": {"C": {"D": {"E": ["F"]}}}}}',
            'deep.json: $."A"."B"."C"."D"."E"[0]: deeper than 5 levels',
        ),
        ("long.json", json.dumps({"U" * 51: ["x"]}), "business unit “" + "U" * 51 + "” is longer than 50"),
        ("gap.csv", "level1,level2,level3\nA,,C\n", "gap.csv:2: level3 is set while level2 is empty"),
        ("nolevel1.csv", "level1,level2\nA,B\n,C\n", "nolevel1.csv:3: level1 is empty"),
        ("header.csv", "nivel1,level2\nA,B\n", "header.csv:1: missing column(s) level1; unknown column(s) nivel1"),
        ("fields.csv", "level1,level2\nA,B,C\n", "fields.csv:2: 3 fields, the header has 2"),
        ("dup.csv", "level1,level2\nA,B\nC,D\nA,B\n", "dup.csv:4: the path A › B repeats "),
        ("kw.csv", 'level1,routing_keywords\nA,"[1, 2]"\n', "kw.csv:2: routing_keywords must be a JSON list of texts"),
        ("empty.csv", "", "empty.csv:1: empty file"),
        ("nothing.json", "{}", "nothing.json: the file holds no typification paths"),
        ("hierarchy.txt", "x", "hierarchy.txt: unknown format"),
        ("nul.json", '{"A": {"B\\u0000": ["x"]}}', 'nul.json: $."A"."B\\u0000": Contains a NUL character'),
        ("surrogate.json", '{"A": ["\\ud800"]}', 'surrogate.json: $."A"[0]: Contains a lone UTF-16 surrogate'),
        ("nul.csv", "level1,level2\nA,B\x00\n", "nul.csv:2: level2: Contains a NUL character"),
        ("kwnul.csv", 'level1,routing_keywords\nA,"[""a\\u0000""]"\n', "kwnul.csv:2: routing_keywords: Contains a NUL"),
        ("nested.json", "[" * 100_000 + "]" * 100_000, "nested.json: invalid JSON (nested far deeper than 5 levels)"),
    ],
)
def test_import__bad_file__names_the_place_and_writes_nothing(tmp_path, name, text, message):
    run_import(DATA / "hierarchy.csv")
    before = list(typification_rows())
    audits = AuditRecord.objects.count()

    with pytest.raises(CommandError) as excinfo:
        run_import(write(tmp_path, name, text))

    assert message in str(excinfo.value)
    assert str(excinfo.value).startswith("Nothing imported.")
    assert typification_rows() == before
    assert AuditRecord.objects.count() == audits


def test_import__not_utf8__says_so(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("level1\nEmissão\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1.csv: not UTF-8 text \(byte 12"):
        run_import(path)


def test_import__every_problem_reported_at_once(tmp_path):
    with pytest.raises(HierarchyFileError) as excinfo:
        parse("level1,level2,level3\nA,,C\n,B,\nX,,Z\n", source="many.csv")
    assert excinfo.value.errors == [
        "many.csv:2: level3 is set while level2 is empty.",
        "many.csv:3: level1 is empty.",
        "many.csv:4: level3 is set while level2 is empty.",
    ]


def test_import__missing_file():
    with pytest.raises(CommandError, match="cannot be read"):
        run_import("/nonexistent/hierarchy.json")


def test_export__csv_round_trip(tmp_path):
    run_import(DATA / "hierarchy.csv")
    target = tmp_path / "out.csv"
    call_command("export_typification", str(target), stderr=StringIO())
    exported = target.read_text(encoding="utf-8")
    assert exported.splitlines()[0] == "level1,level2,level3,level4,level5,business_unit,routing_keywords"
    assert "PagBank,Pix,Pix não recebido,Cliente orientado sobre prazo do Pix,,PagBank,pix;transferência" in exported

    TypificationHierarchy.objects.all().delete()
    run_import(target)
    assert [(r["business_unit"], r["routing_keywords"]) for r in typification_rows()] == [
        ("Adquirência Web", ["antecipar vendas", "app"]),
        ("Adquirência Web", ["antecipação", "antecipar"]),
        ("Emissão", ["limite", "aumentar limite"]),
        ("PagBank", ["pix", "transferência"]),
    ]


def test_export__nested_json_equals_the_imported_document(tmp_path):
    run_import(DATA / "hierarchy.json")
    out = StringIO()
    call_command("export_typification", "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == json.loads((DATA / "hierarchy.json").read_text(encoding="utf-8"))


def test_export__nested_form__prefix_paths_and_single_levels():
    rows = [
        {
            "level1": "A",
            "level2": "",
            "level3": "",
            "level4": "",
            "level5": "",
            "business_unit": "A",
            "routing_keywords": [],
        },
        {
            "level1": "B",
            "level2": "P",
            "level3": "",
            "level4": "",
            "level5": "",
            "business_unit": "B",
            "routing_keywords": [],
        },
        {
            "level1": "B",
            "level2": "P",
            "level3": "M",
            "level4": "",
            "level5": "",
            "business_unit": "B",
            "routing_keywords": [],
        },
        {
            "level1": "B",
            "level2": "Q",
            "level3": "",
            "level4": "",
            "level5": "",
            "business_unit": "B",
            "routing_keywords": [],
        },
    ]
    document = json.loads(to_json(rows))
    assert document == {"A": {}, "B": {"P": ["M"], "Q": []}}
    reparsed = parse(json.dumps(document), source="x.json")
    assert [r.path for r in reparsed] == [["A"], ["B", "P", "M"], ["B", "Q"]]
    assert to_csv(rows).count("\n") == 5


def test_import_and_export__in_portuguese(tmp_path):
    out = StringIO()
    call_command("import_typification", str(DATA / "hierarchy.json"), language="pt-br", stdout=out)
    assert "hierarchy.json: 5 caminhos — 5 criados, 0 atualizados, 0 sem alteração, 0 excluídos." in out.getvalue()
    assert "As alterações estão no rascunho do roteamento: publique-o (admin → Roteamento" in out.getvalue()
    with pytest.raises(CommandError, match="não foi possível ler"):
        call_command("import_typification", "/nonexistent/hierarchy.json", language="pt-br")

    err = StringIO()
    call_command("export_typification", str(tmp_path / "out.csv"), language="pt-br", stderr=err)
    assert f"5 caminhos gravados em {tmp_path / 'out.csv'} (csv)." in err.getvalue()
