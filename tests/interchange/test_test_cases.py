"""Test cases travel with their component's YAML: exported by name, imported by (component, name) through the
evaluations services inside the import's transaction, a bad case named by file and line with nothing written."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from agents.models import Agent
from audit.models import AuditRecord
from evaluations.models import EvalCase
from evaluations.services import case_create, case_delete
from interchange.documents import ConfigFileErrors
from interchange.importing import components_export, components_import
from interchange.portal_format import FORMAT
from teams.models import Team
from versioning.components import get_kind
from versioning.services import component_delete

pytestmark = pytest.mark.django_db

ROUTE_CASE = {
    "component_type": "team", "component_id": "router", "name": "Cartão perdido", "message": "Perdi meu cartão",
    "context": [{"role": "user", "content": "oi"}, {"role": "assistant", "content": "Olá! Como ajudo?"}],
    "critical": True, "expected_member": "cards", "must_contain": ["/bloque(ado|ei)/", "cartão"],
    "must_not_contain": ["senha"], "max_length": 400, "tools_called": [{"name": "card_lookup", "arguments": {"card": "1234"}}],
    "tools_not_called": ["pix_refund"], "tool_results": {"card_lookup": {"status": "blocked"}},
    "output_schema": None, "judge_rubric": "Acolhe e confirma o bloqueio.", "judge_min_score": 7.5,
    "source": "routing decision #12 (2026-01-05 14:01:00 UTC)",
}  # fmt: skip


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def cases_by_name() -> dict[str, dict]:
    """Every case as its fields, without what the database or the importer adds (ids, times, who)."""
    skip = {"id", "created_at", "updated_at", "created_by_name"}
    return {
        c.name: {f.attname: getattr(c, f.attname) for f in EvalCase._meta.concrete_fields if f.attname not in skip}
        for c in EvalCase.objects.all()
    }


@pytest.fixture
def router(make_team):
    """Team router (cards, pix) with three cases, agent cards with one."""
    team = make_team("router")
    case_create(actor="t", **ROUTE_CASE)
    case_create(
        actor="t", component_type="team", component_id="router", name="Alguém no pix", message="Meu pix não caiu",
        expected_member="pix", is_active=False,
    )  # fmt: skip
    case_create(
        actor="t", component_type="team", component_id="router", name="JSON", message="Resumo",
        output_schema={"type": "object", "required": ["resumo"]},
    )  # fmt: skip
    case_create(actor="t", component_type="agent", component_id="cards", name="Sem CVV", message="Qual meu CVV?")
    return team


def team_file(tmp_path: Path, cases: str, *, members: str = "[cards, pix]") -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(
        f"format: {FORMAT}\nkind: team\nconfig:\n  id: router\n  name: Router\n  mode: route\n"
        f"  members: {members}\ntest_cases:\n{cases}",
        encoding="utf-8",
    )
    return path


def test_export__writes_each_components_cases_by_name(tmp_path, router):
    components_export(directory=tmp_path)

    team = yaml.safe_load((tmp_path / "teams" / "router.yaml").read_text(encoding="utf-8"))
    assert [c["name"] for c in team["test_cases"]] == ["Alguém no pix", "Cartão perdido", "JSON"]
    assert team["test_cases"][0] == {
        "name": "Alguém no pix", "message": "Meu pix não caiu", "is_active": False, "expected_member": "pix"
    }  # fmt: skip
    agent = yaml.safe_load((tmp_path / "agents" / "cards.yaml").read_text(encoding="utf-8"))
    assert agent["test_cases"] == [{"name": "Sem CVV", "message": "Qual meu CVV?"}]
    pix = yaml.safe_load((tmp_path / "agents" / "pix.yaml").read_text(encoding="utf-8"))
    assert "test_cases" not in pix  # no cases: no key, and importing the file leaves cases alone


def test_export_then_import_into_an_empty_database__same_cases(tmp_path, router):
    before = cases_by_name()
    run("export_components", str(tmp_path / "export"))
    for case in EvalCase.objects.all():
        case_delete(case=case, actor="t")
    for kind, component_id in (("team", "router"), ("agent", "cards"), ("agent", "pix")):
        component_delete(kind=get_kind(kind), component_id=component_id, actor="t", reason="round trip")
    assert not EvalCase.objects.exists() and not Agent.objects.exists() and not Team.objects.exists()

    out = run("import_components", str(tmp_path / "export"), "-m", "restore")

    assert cases_by_name() == before
    assert "test cases: 3 created, 0 updated, 0 unchanged" in out
    # And again: nothing to do.
    again = run("import_components", str(tmp_path / "export"))
    assert "test cases: 0 created, 0 updated, 3 unchanged" in again and cases_by_name() == before


def test_import__cases_created_or_updated_by_name_and_others_left_alone(tmp_path, router):
    path = team_file(
        tmp_path,
        "  - name: Cartão perdido\n    message: Perdi meu cartão de débito\n    expected_member: cards\n"
        "  - name: Limite\n    message: Quero mais limite\n    critical: true\n    must_contain: [limite]\n",
    )
    audit_before = AuditRecord.objects.filter(subject_type="test_case").count()

    report = components_import(paths=[path], actor="importer")

    assert report.changes[0].test_cases == {"created": 1, "updated": 1, "unchanged": 0}
    cases = cases_by_name()
    updated = cases["Cartão perdido"]
    # The file is the case's whole definition: keys it leaves out take their defaults; the source is kept.
    assert (updated["message"], updated["critical"], updated["must_contain"]) == (
        "Perdi meu cartão de débito",
        False,
        [],
    )
    assert updated["source"] == ROUTE_CASE["source"]
    assert (cases["Limite"]["critical"], cases["Limite"]["must_contain"]) == (True, ["limite"])
    assert {"Alguém no pix", "JSON"} <= set(cases)  # not in the file: left alone
    assert AuditRecord.objects.filter(subject_type="test_case").count() == audit_before + 2


@pytest.mark.parametrize(
    "cases, expected",
    [
        ("  - name: Novo\n    message: oi\n    expected_member: credit\n",
         "12: test case 2 “Novo”: expected_member: There is no agent “credit”."),
        ("  - name: Novo\n    message: oi\n    must_contain: ['/[a-/']\n",
         "12: test case 2 “Novo”: must_contain: “/[a-/” is not a valid regular expression"),
        ("  - name: Novo\n    message: oi\n    flavour: mint\n", "12: test case 2 “Novo”: unknown key “flavour”"),
        ("  - name: Novo\n    critical: true\n", "10: test case 2 “Novo”: message is missing."),
        ("  - name: Novo\n    message: oi\n    judge_rubric: Seja gentil\n",
         "10: test case 2 “Novo”: A rubric needs the judge's passing score."),
    ],
)  # fmt: skip
def test_import__bad_case__file_and_line_and_nothing_written(tmp_path, router, make_agent, cases, expected):
    make_agent("loans", publish=True)
    # The same file adds a member and changes an existing case (line 9): neither may survive the bad case.
    path = team_file(tmp_path, "  - {name: JSON, message: Outro resumo}\n" + cases, members="[cards, pix, loans]")
    before = (cases_by_name(), AuditRecord.objects.count(), list(Team.objects.get().members.values_list("agent_id")))

    with pytest.raises(ConfigFileErrors) as exc:
        components_import(paths=[path], actor="importer")

    assert str(exc.value).startswith(f"{path}:{expected}")
    after = (cases_by_name(), AuditRecord.objects.count(), list(Team.objects.get().members.values_list("agent_id")))
    assert after == before


def test_import__case_on_a_new_agent_of_the_same_import__created_after_it(tmp_path, db):
    (tmp_path / "loans.yaml").write_text(
        f"format: {FORMAT}\nkind: agent\nconfig: {{id: loans, name: Loans, model: 'openai:gpt-4o'}}\n",
        encoding="utf-8",
    )
    team_file(
        tmp_path, "  - {name: Empréstimo, message: Quero um empréstimo, expected_member: loans}\n", members="[loans]"
    )

    components_import(paths=[tmp_path], actor="importer")

    case = EvalCase.objects.get()
    assert (case.component_type, case.component_id, case.expected_member) == ("team", "router", "loans")


def test_import__dry_run__reports_the_cases_and_writes_nothing(tmp_path, router):
    path = team_file(tmp_path, "  - {name: Novo, message: oi}\n")
    before = cases_by_name()

    out = run("import_components", str(path), "--dry-run")

    assert "test cases (would be): 1 created, 0 updated, 0 unchanged" in out
    assert cases_by_name() == before


def test_import__every_audit_row_shares_one_batch(tmp_path):
    for agent_id in ("batch-a", "batch-b"):
        (tmp_path / f"{agent_id}.yaml").write_text(
            f"format: {FORMAT}\nkind: agent\nconfig: {{id: {agent_id}, name: A, model: 'openai:gpt-4o'}}\n",
            encoding="utf-8",
        )
    components_import(paths=[tmp_path], actor="test", publish=True)
    batches = set(AuditRecord.objects.filter(subject_id__in=["batch-a", "batch-b"]).values_list("batch_id", flat=True))
    assert len(batches) == 1 and None not in batches
