import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditRecord
from knowledge.models import KnowledgeEntry
from knowledge.services import knowledge_entry_create

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:knowledge_knowledgeentry_changelist")
ADD = reverse("admin:knowledge_knowledgeentry_add")
IMPORT = reverse("admin:knowledge_knowledgeentry_import")
EXPORT = reverse("admin:knowledge_knowledgeentry_export")


def change_url(entry):
    return reverse("admin:knowledge_knowledgeentry_change", args=[entry.pk])


def _entry(
    question="How do I block a lost card?", business_unit="pagbank", category="Cards", answer="Tap Block card.", **kw
):
    return knowledge_entry_create(
        business_unit=business_unit, category=category, question=question, answer=answer, **kw
    )


def _form(**overrides):
    data = {
        "business_unit": "pagbank",
        "category": "Cards",
        "subcategory": "",
        "question": "How do I unblock my card?",
        "answer": "Open Cards and tap Unblock.",
        "metadata": "{}",
    }
    data.update(overrides)
    return data


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="x" * 12, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_knowledgeentry"))
    client.force_login(user)
    return client


# --- list --------------------------------------------------------------------------------------------


def test_changelist__filters_status_and_links(admin_client):
    _entry()
    _entry(question="My machine is off", business_unit="adquirencia", category="Machines", embed=False)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "By business unit" in html and "By category" in html and "By embedding" in html
    assert "Search by meaning" in html and "Import CSV" in html and "Export CSV" in html
    assert "1 entry without" in html
    assert admin_client.get(CHANGELIST, {"business_unit__exact": "adquirencia"}).context["cl"].result_count == 1
    missing = admin_client.get(CHANGELIST, {"embedding": "missing"}).context["cl"].result_list
    assert [e.question for e in missing] == ["My machine is off"]


def test_changelist__query_count_does_not_grow_with_rows(admin_client):
    for i in range(3):
        _entry(question=f"question {i}")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for i in range(3, 30):
        _entry(question=f"question {i}", business_unit=f"bu{i % 4}", category=f"cat{i % 5}")
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 30
    assert len(many.captured_queries) == len(few.captured_queries)
    listing = [q["sql"] for q in many.captured_queries if q["sql"].startswith('SELECT "knowledge_base"."id"')]
    assert listing and all('"knowledge_base"."embedding"' not in sql.split(" FROM ")[0] for sql in listing), (
        "the embedding column is deferred"
    )


@pytest.mark.sqlite_smoke
def test_changelist__similarity_search_ranks_by_meaning(admin_client):
    _entry()
    _entry(question="How do I raise my card limit?", answer="Ask in Cards > Limit.")
    _entry(question="PIX transfer did not arrive", category="PIX", answer="Wait 30 minutes.")
    response = admin_client.get(CHANGELIST, {"similar": "block lost card"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows[0].question == "How do I block a lost card?"
    assert "similarity" in response.content.decode()
    within = admin_client.get(CHANGELIST, {"similar": "card", "category__exact": "PIX"}).context["cl"].result_list
    assert [e.category for e in within] == ["PIX"]


def test_changelist__similarity_search_without_words_warns_instead_of_failing(admin_client):
    _entry()
    response = admin_client.get(CHANGELIST, {"similar": "?!"}, follow=True)
    assert response.status_code == 200
    assert "no words to search for" in response.content.decode()


# --- change page ---------------------------------------------------------------------------------------


@pytest.mark.sqlite_smoke
def test_change_page__shows_the_nearest_entries_and_flags_near_duplicates(admin_client):
    entry = _entry()
    twin = _entry(question="How do I block a lost card ?", answer="Tap Block card!")
    _entry(question="PIX transfer did not arrive", answer="Wait 30 minutes.")
    other_bu = _entry(business_unit="adquirencia")
    response = admin_client.get(change_url(entry))
    assert response.status_code == 200
    similar = response.context["similar_entries"]
    assert similar[0]["result"].id == twin.pk and similar[0]["near_duplicate"]
    assert entry.pk not in [s["result"].id for s in similar]
    assert other_bu.pk not in [s["result"].id for s in similar]
    assert "possible duplicate" in response.content.decode()


def test_change_page__entry_without_embedding_says_so(admin_client):
    entry = _entry(embed=False)
    response = admin_client.get(change_url(entry))
    assert "has no search embedding yet" in response.content.decode()


def test_add__goes_through_the_service_embeds_and_audits(admin_client):
    response = admin_client.post(ADD, _form())
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = KnowledgeEntry.objects.get()
    assert entry.embedding_model == "hashing-v1/1536"
    record = AuditRecord.objects.get(subject_id=str(entry.pk))
    assert record.action == "created" and record.actor_name == "admin"


def test_add__duplicate_is_a_form_error_not_a_500(admin_client):
    _entry(question="How do I unblock my card?", answer="Open Cards and tap Unblock.")
    response = admin_client.post(ADD, _form(question="  How do I unblock my card?  "))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert KnowledgeEntry.objects.count() == 1


def test_add__blank_fields_and_bad_metadata_are_form_errors(admin_client):
    response = admin_client.post(ADD, _form(question="   ", metadata="[1, 2]"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "question" in errors
    assert "Metadata must be a JSON object." in response.content.decode()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' + "[" * 40 + "]" * 40 + "}", "more than 32 levels"),
        ('{"note": "a\\u0000b"}', "NUL character"),
        ('{"note": "\\ud800"}', "lone UTF-16 surrogate"),
    ],
)
def test_add__hostile_metadata_is_a_form_error_not_a_500(admin_client, metadata, message):
    response = admin_client.post(ADD, _form(metadata=metadata))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get("metadata", [])), errors
    assert KnowledgeEntry.objects.count() == 0


def test_edit__reembeds_and_records_the_change(admin_client):
    entry = _entry()
    response = admin_client.post(change_url(entry), _form(question=entry.question, answer="New answer."))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.answer == "New answer." and entry.embedding_hash == entry.content_hash
    record = AuditRecord.objects.get(subject_id=str(entry.pk), action="updated")
    assert record.diff["changed"]["answer"]["to"] == "New answer." and record.actor_name == "admin"


def test_delete__single_and_bulk_are_audited(admin_client):
    first, second, third = _entry(question="a"), _entry(question="b"), _entry(question="c")
    response = admin_client.post(reverse("admin:knowledge_knowledgeentry_delete", args=[first.pk]), {"post": "yes"})
    assert response.status_code == 302
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [second.pk, third.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert KnowledgeEntry.objects.count() == 0
    assert AuditRecord.objects.filter(action="deleted").count() == 3


# --- actions -----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reembed_action__queues_a_job_that_recomputes_selected_and_audits(admin_client):
    from hive_portal.testing import queued_jobs, run_pending_jobs

    entry = _entry(embed=False)
    response = admin_client.post(
        CHANGELIST, {"action": "reembed_selected", "_selected_action": [entry.pk]}, follow=True
    )
    assert "Recomputing 1 embedding(s) in the background" in response.content.decode()
    [job] = queued_jobs("knowledge.reembed")
    assert job["args"]["ids"] == [str(entry.pk)]
    entry.refresh_from_db()
    assert entry.embedding_model == ""  # not in the request
    run_pending_jobs()
    entry.refresh_from_db()
    assert entry.embedding_model == "hashing-v1/1536"
    row = AuditRecord.objects.get(subject_id=str(entry.pk), action="updated")
    assert row.actor_name == "admin"


def test_reembed_action__needs_change_permission(viewer):
    entry = _entry(embed=False)
    response = viewer.post(CHANGELIST, {"action": "reembed_selected", "_selected_action": [entry.pk]}, follow=True)
    # The action is not offered to a viewer: the admin ignores it and says no action was selected.
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert "No action selected" in response.content.decode()
    entry.refresh_from_db()
    assert entry.embedding_model == ""


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_action_and_view(admin_client):
    _entry(metadata={"tags": ["cards", "beginner"]})
    _entry(question="Machine off", business_unit="adquirencia", category="Machines")
    response = admin_client.post(
        CHANGELIST,
        {"action": "export_selected", "_selected_action": list(KnowledgeEntry.objects.values_list("pk", flat=True))},
    )
    rows = _csv_rows(response)
    assert rows[0] == ["question", "answer", "category", "tags", "business_unit", "subcategory"]
    assert ["How do I block a lost card?", "Tap Block card.", "Cards", "cards,beginner", "pagbank", ""] in rows
    filtered = _csv_rows(admin_client.get(EXPORT, {"business_unit__exact": "adquirencia"}))
    assert [r[0] for r in filtered[1:]] == ["Machine off"]


def test_export_view__invalid_filter__400_not_500(admin_client):
    _entry()
    response = admin_client.get(EXPORT, {"created_at__gte": "bad"})
    assert response.status_code == 400
    assert "filters are invalid" in response.content.decode()


def test_export__formulas_neutralised_and_import_gives_them_back(admin_client):
    from knowledge.importing import knowledge_import_csv

    _entry(question="=1+1", answer="-5 points", category="@Cards", metadata={"tags": ["+tag"]}, business_unit="pagbank")
    rows = _csv_rows(admin_client.get(EXPORT))
    assert rows[1] == ["'=1+1", "'-5 points", "'@Cards", "'+tag", "pagbank", ""]
    exported = b"".join(admin_client.get(EXPORT).streaming_content)
    KnowledgeEntry.objects.all().delete()
    knowledge_import_csv(data=exported, file_name="kb.csv")
    entry = KnowledgeEntry.objects.get()
    assert (entry.question, entry.answer, entry.category, entry.metadata) == (
        "=1+1",
        "-5 points",
        "@Cards",
        {"tags": ["+tag"]},
    )


def test_export_view__viewer_may_export(viewer):
    _entry()
    assert viewer.get(EXPORT).status_code == 200


# --- import page -------------------------------------------------------------------------------------------


def _upload(text, name="kb.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.sqlite_smoke
def test_import_page__imports_and_reports(admin_client):
    assert admin_client.get(IMPORT).status_code == 200
    response = admin_client.post(
        IMPORT,
        {"file": _upload("problem,solution,typification,business_unit\np1,s1,t,bu\np2,s2,t,bu\n")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "Imported kb.csv: 2 entries added, 0 already present" in response.content.decode()
    assert KnowledgeEntry.objects.filter(embedding__isnull=False).count() == 2
    assert list(AuditRecord.objects.filter(action="imported").values_list("actor_name", flat=True)) == ["admin"] * 2


def test_import_page__bad_file_shows_line_errors_and_imports_nothing(admin_client):
    response = admin_client.post(
        IMPORT, {"file": _upload("question,answer,category,tags\nq,,c,\nq2,a2,c,\n"), "business_unit": "bu"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html and "kb.csv:2: answer: is empty." in html
    assert KnowledgeEntry.objects.count() == 0


def test_import_page__skip_invalid(admin_client):
    response = admin_client.post(
        IMPORT,
        {
            "file": _upload("question,answer,category,tags\nq,,c,\nq2,a2,c,\n"),
            "business_unit": "bu",
            "skip_invalid": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "1 entries added" in html and "1 invalid row(s) skipped: kb.csv:2: answer: is empty." in html


def test_import_page__missing_business_unit_and_binary_junk_are_form_errors(admin_client):
    response = admin_client.post(IMPORT, {"file": _upload("question,answer,category,tags\nq,a,c,\n")})
    assert "kb.csv:1: the file has no business_unit column" in response.content.decode()
    junk = SimpleUploadedFile("x.csv", b"\xff\xfe\x00binary", content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": junk})
    assert response.status_code == 200 and "not UTF-8" in response.content.decode()
    response = admin_client.post(IMPORT, {})
    assert response.status_code == 200 and response.context["form"].errors["file"]


def test_import_page__needs_add_permission(viewer):
    assert viewer.get(IMPORT).status_code == 403
    response = viewer.post(IMPORT, {"file": _upload("problem,solution,typification,business_unit\np,s,t,bu\n")})
    assert response.status_code == 403
    assert KnowledgeEntry.objects.count() == 0
