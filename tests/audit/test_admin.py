"""The audit log in the admin: filters (who, what, which batch), CSV export, read-only for everyone."""

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditRecord
from audit.services import audit_record
from common.batches import batch

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_audit_log__filters_and_csv_export(client, viewer, make_agent):
    make_agent("cards", actor="alice")
    audit_record(
        action="updated",
        subject_type="knowledge",
        subject_id="kb-1",
        actor="bob",
        reason="typo",
        before={"answer": "a"},
        after={"answer": "b"},
    )
    client.force_login(viewer)
    changelist = reverse("admin:audit_auditrecord_changelist")
    html = client.get(changelist + "?actor=bob").content.decode()
    assert "kb-1" in html and "cards" not in html.split("result_list")[1]
    html = client.get(changelist + "?subject_type__exact=agent").content.decode()
    assert "cards" in html
    response = client.get(reverse("admin:audit_auditrecord_export") + "?actor=bob")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["when", "user", "action"]
    assert [r[1] for r in rows[1:]] == ["bob"] and rows[1][4] == "kb-1" and rows[1][8] == "answer"


@pytest.mark.parametrize("query", ["?created_at__gte=bad", "?created_at__gte=9999-99-99", "?from_version__exact=x"])
def test_audit_log__export_with_invalid_filter__400_not_500(client, viewer, make_agent, query):
    make_agent("cards", actor="alice")
    client.force_login(viewer)
    response = client.get(reverse("admin:audit_auditrecord_export") + query)
    assert response.status_code == 400
    assert "filters are invalid" in response.content.decode()


def test_audit_log__export_neutralises_formulas(client, viewer):
    audit_record(action="updated", subject_type="knowledge", subject_id="=cmd|' /C calc'!A0", actor="@mallory",
                 reason="=HYPERLINK(\"http://evil\")", before={"answer": "a"}, after={"answer": "b"})  # fmt: skip
    client.force_login(viewer)
    response = client.get(reverse("admin:audit_auditrecord_export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = rows[1]
    assert row[1] == "'@mallory" and row[4] == "'=cmd|' /C calc'!A0" and row[7] == '\'=HYPERLINK("http://evil")'


def test_audit_log__is_read_only_even_for_admins(client, portal_admin, make_agent):
    make_agent("cards")
    row = AuditRecord.objects.first()
    client.force_login(portal_admin)
    assert client.post(reverse("admin:audit_auditrecord_change", args=[row.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("admin:audit_auditrecord_delete", args=[row.pk]), {"post": "yes"}).status_code == 403


def test_audit_log__same_batch_link_lists_the_batch_only(client, viewer):
    with batch() as batch_id:
        audit_record(action="deleted", subject_type="knowledge", subject_id="11", actor="bob")
        audit_record(action="deleted", subject_type="knowledge", subject_id="12", actor="bob")
    audit_record(action="deleted", subject_type="knowledge", subject_id="13", actor="bob")
    client.force_login(viewer)
    changelist = reverse("admin:audit_auditrecord_changelist")
    html = client.get(changelist).content.decode()
    same_batch = f"{changelist}?batch={batch_id}"
    assert html.count(f'href="{same_batch}" class="same-batch"') == 2  # the unbatched row has no link
    listed = client.get(same_batch).context["cl"].result_list
    assert sorted(r.subject_id for r in listed) == ["11", "12"]
    rows = _csv(client.get(reverse("admin:audit_auditrecord_export") + f"?batch={batch_id}"))
    assert rows[0][-1] == "batch" and {r[-1] for r in rows[1:]} == {str(batch_id)} and len(rows) == 3


def test_audit_log__batch_filter_with_a_malformed_id__lists_nothing(client, viewer):
    audit_record(action="deleted", subject_type="knowledge", subject_id="11", actor="bob")
    client.force_login(viewer)
    response = client.get(reverse("admin:audit_auditrecord_changelist") + "?batch=not-a-uuid")
    assert response.status_code == 200 and list(response.context["cl"].result_list) == []
