import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditRecord
from knowledge.csv_format import write_rows
from knowledge.embedders import EmbedderError, HashingEmbedder
from knowledge.importing import KnowledgeImportError, knowledge_import_csv
from knowledge.models import KnowledgeEntry
from knowledge.selectors import knowledge_export_rows

pytestmark = pytest.mark.django_db

# A copy of ../shared/fixtures/automagik-hive-v0/knowledge_rag.csv: CI checks out this repository alone.
AUTOMAGIK_CSV = Path(__file__).resolve().parent.parent / "fixtures" / "automagik" / "knowledge_rag.csv"

PROBLEM_SOLUTION = (
    "problem,solution,typification,business_unit\r\n"
    '"Cartão bloqueado","Desbloqueie pelo app:\r\n1. Abra Cartões\r\n2. Toque em Desbloquear",'
    '"Cartões > Bloqueio",pagbank\r\n'
    '"PIX não caiu","Verifique o comprovante, ""Em processamento"" leva até 30 min.","PIX > Atraso",pagbank\r\n'
    "Antecipar recebíveis,Use a opção Antecipar na área de vendas.,Antecipação,adquirencia\r\n"
)


def _import(text: str | bytes, name="kb.csv", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return knowledge_import_csv(data=data, file_name=name, **kwargs)


@pytest.mark.sqlite_smoke
def test_import__automagik_question_answer_layout():
    report = knowledge_import_csv(
        data=AUTOMAGIK_CSV.read_bytes(), file_name="knowledge_rag.csv", business_unit="automagik"
    )
    assert report.layout == "question,answer,category,tags"
    assert report.created == 32 == KnowledgeEntry.objects.count()
    assert report.embedded == 32
    entry = KnowledgeEntry.objects.get(question="How do I enable HTTPS in production?")
    assert entry.business_unit == "automagik" and entry.category == "Operations"
    assert entry.metadata == {"tags": ["security", "https", "beginner"]}
    assert entry.embedding_model == "hashing-v1/1536"
    # One row per new entry, its subject the entry (never the file), all in one batch; the reason names the file.
    records = list(AuditRecord.objects.filter(action="imported").order_by("id"))
    assert sorted((r.subject_type, r.subject_id) for r in records) == sorted(
        ("knowledge", str(pk)) for pk in KnowledgeEntry.objects.values_list("pk", flat=True)
    )
    assert {r.batch_id for r in records} == {records[0].batch_id} and records[0].batch_id is not None
    assert {r.reason for r in records} == {"CSV import of knowledge_rag.csv (question,answer,category,tags)"}
    mine = next(r for r in records if r.subject_id == str(entry.pk))
    assert mine.after["question"] == "How do I enable HTTPS in production?" and mine.before is None


@pytest.mark.sqlite_smoke
def test_import__problem_solution_layout_with_multiline_quoted_fields_and_bom():
    report = _import(("\ufeff" + PROBLEM_SOLUTION).encode("utf-8"))
    assert report.layout == "problem,solution,typification,business_unit"
    assert report.created == 3
    entry = KnowledgeEntry.objects.get(question="Cartão bloqueado")
    assert entry.answer == "Desbloqueie pelo app:\n1. Abra Cartões\n2. Toque em Desbloquear"
    assert entry.category == "Cartões > Bloqueio" and entry.business_unit == "pagbank"
    assert KnowledgeEntry.objects.get(question="PIX não caiu").answer.startswith('Verifique o comprovante, "Em')
    assert KnowledgeEntry.objects.filter(business_unit="adquirencia").count() == 1


@pytest.mark.sqlite_smoke
def test_import__twice_changes_nothing():
    first = _import(PROBLEM_SOLUTION)
    second = _import(PROBLEM_SOLUTION.replace("\r\n", "\n"))
    assert (first.created, second.created, second.unchanged) == (3, 0, 3)
    assert KnowledgeEntry.objects.count() == 3


def test_import__repeated_rows_in_one_file_are_counted_once():
    text = "question,answer,category,tags\nq,a,c,\nq , a,c,x\n"
    report = _import(text, business_unit="bu")
    assert (report.created, report.duplicates) == (1, 1)


def test_import__bad_rows_report_lines_and_write_nothing():
    text = (
        "question,answer,category,tags\n"
        "good question,good answer,Ops,\n"
        '"multi\nline question","",Ops,\n'  # record starts on line 3; empty answer
        "only,three,fields\n"  # line 5
        "q2,a2,,\n"  # line 6: empty category
    )
    with pytest.raises(KnowledgeImportError) as info:
        _import(text, name="bad.csv", business_unit="bu")
    assert info.value.messages == [
        "bad.csv:3: answer: is empty.",
        "bad.csv:5: expected 4 fields, found 3; check commas and quotes.",
        "bad.csv:6: category: is empty.",
    ]
    assert KnowledgeEntry.objects.count() == 0
    assert not AuditRecord.objects.filter(action="imported").exists()


def test_import__skip_invalid_imports_the_rest_and_lists_skipped_lines():
    text = "problem,solution,typification,business_unit\np1,s1,t,bu\n,s2,t,bu\np3,s3,t," + "x" * 51 + "\n"
    report = _import(text, name="ps.csv", skip_invalid=True)
    assert report.created == 1
    assert report.skipped == [
        "ps.csv:3: problem: is empty.",
        "ps.csv:4: business_unit: Ensure this value has at most 50 characters (it has 51).",
    ]
    record = AuditRecord.objects.get(action="imported")
    assert record.after["question"] == "p1" and record.reason.endswith(", 2 invalid row(s) skipped")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "kb.csv:1: the file is empty; the first line must be a header."),
        (b"title,body\nx,y\n", "kb.csv:1: unrecognised header"),
        (b"question,answer\nq,a\n", "kb.csv:1: the header lacks the column(s) category"),
        (b"question,answer,category\nq,a,c\n", "kb.csv:1: the file has no business_unit column"),
        (b'problem,solution,typification,business_unit\n"p,s,t,bu\n', "kb.csv:2: the row cannot be read"),
        (
            "question,answer,category,business_unit\nq,a,c,bu\nç,a,c,bu\n".encode("latin-1"),
            "kb.csv:3: the file is not UTF-8",
        ),
    ],
)
def test_import__unreadable_files_are_refused_with_a_line(data, message):
    with pytest.raises(KnowledgeImportError) as info:
        _import(data)
    assert info.value.messages[0].startswith(message), info.value.messages
    assert KnowledgeEntry.objects.count() == 0


def test_import__embedder_failure_imports_without_embeddings():
    class Broken(HashingEmbedder):
        def embed(self, texts):
            raise EmbedderError("down")

    report = _import(PROBLEM_SOLUTION, embedder=Broken(dimensions=1536))
    assert report.created == 3 and report.embedded == 0 and report.embedding_error == "down"
    assert not KnowledgeEntry.objects.filter(embedding__isnull=False).exists()


@pytest.mark.sqlite_smoke
def test_export__round_trips_through_import():
    _import(PROBLEM_SOLUTION)
    _import('question,answer,category,tags\nq,a,c,"t1,t2"\n', business_unit="bu")
    out = io.StringIO()
    write_rows(knowledge_export_rows(), out)
    KnowledgeEntry.objects.all().delete()
    report = _import(out.getvalue())
    assert report.created == 4
    assert KnowledgeEntry.objects.get(question="q").metadata == {"tags": ["t1", "t2"]}
    again = _import(out.getvalue())
    assert again.unchanged == 4


# --- the command ---------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_command__imports_and_reports(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(PROBLEM_SOLUTION, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_knowledge", str(path), stdout=out, stderr=err)
    assert "3 created, 0 already present" in out.getvalue()
    assert "Importing kb.csv" in err.getvalue(), "progress bar on stderr"
    call_command("import_knowledge", str(path), stdout=out, stderr=err, no_progress=True)
    assert "0 created, 3 already present" in out.getvalue()


def test_command__bad_file_lists_file_line_messages_and_fails(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("question,answer,category,tags\nq,,c,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_knowledge", str(path), business_unit="bu", stdout=io.StringIO(), stderr=err)
    assert f"{path}:2: answer: is empty." in err.getvalue()
    assert KnowledgeEntry.objects.count() == 0


def test_command__skip_invalid(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("question,answer,category,tags\nq,,c,\nq2,a2,c,\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_knowledge", str(path), business_unit="bu", skip_invalid=True, stdout=out, stderr=err)
    assert "1 created" in out.getvalue() and "1 invalid row skipped" in out.getvalue()
    assert f"{path}:2: answer: is empty. (skipped)" in err.getvalue()


def test_embed_command__embeds_pending_with_progress():
    _import(PROBLEM_SOLUTION, embed=False)
    out, err = io.StringIO(), io.StringIO()
    call_command("embed_knowledge", stdout=out, stderr=err, batch_size=2)
    assert "3 entries to embed with hashing-v1/1536" in out.getvalue()
    assert "3 embedded" in out.getvalue()
    assert "Embedding" in err.getvalue()
    call_command("embed_knowledge", stdout=out, stderr=err)
    assert "0 entries to embed" in out.getvalue()


def test_command__in_portuguese__report_skipped_rows_and_refusal(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("question,answer,category,tags\nq,,c,\nq2,a2,c,\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_knowledge", str(path), business_unit="bu", skip_invalid=True, no_progress=True, language="pt-br",
        stdout=out, stderr=err,
    )  # fmt: skip
    assert "1 criadas, 0 já existentes, 0 repetidas no arquivo, 1 linha inválida ignorada" in out.getvalue()
    assert err.getvalue().startswith(f"{path}:2: answer: ") and err.getvalue().endswith(". (ignorada)\n")
    with pytest.raises(CommandError, match=r"mixed\.csv: nada foi importado \(1 problema\)\."):
        call_command("import_knowledge", str(path), business_unit="bu", language="pt-br", stderr=io.StringIO())
    with pytest.raises(CommandError, match="não foi possível ler"):
        call_command("import_knowledge", str(tmp_path / "missing.csv"), language="pt-br")


def test_embed_command__in_portuguese():
    _import(PROBLEM_SOLUTION, embed=False)
    out, err = io.StringIO(), io.StringIO()
    call_command("embed_knowledge", stdout=out, stderr=err, language="pt-br")
    assert "3 entradas para gerar embedding com hashing-v1/1536." in out.getvalue()
    assert "embeddings gerados: 3;" in out.getvalue()
    assert "Gerando embeddings" in err.getvalue()
    with pytest.raises(CommandError, match="--batch-size deve ser pelo menos 1"):
        call_command("embed_knowledge", batch_size=0, language="pt-br")
