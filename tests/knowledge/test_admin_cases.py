"""The knowledge entry admin through the shared declarative cases (tests/cases.py): every role, every write
audited. Entries are served as soon as they are saved, so only publishers and admins write them."""

import pytest

from knowledge.models import KnowledgeEntry
from knowledge.services import knowledge_entry_create
from tests.cases import ALL_ROLES, AdminAddCase, AdminChangeCase, AdminChangelistCase, AdminDeleteCase

pytestmark = pytest.mark.django_db


def _form(entry=None, **overrides):
    data = {
        "business_unit": entry.business_unit if entry else "pagbank",
        "category": entry.category if entry else "Cards",
        "subcategory": entry.subcategory if entry else "",
        "question": entry.question if entry else "How do I unblock my card?",
        "answer": entry.answer if entry else "Open Cards and tap Unblock.",
        "metadata": "{}",
    }
    return {**data, **overrides}


class TestKnowledgeEntryAdmin(AdminChangelistCase, AdminAddCase, AdminChangeCase, AdminDeleteCase):
    model = KnowledgeEntry
    audit_subject = "knowledge"
    view_roles = ALL_ROLES
    add_roles = change_roles = delete_roles = ("Publisher", "Admin")
    change_expected = {"answer": "New answer."}

    def create_object(self, n):
        return knowledge_entry_create(
            business_unit="pagbank", category="Cards", question=f"Question {n}?", answer=f"Answer {n}.", actor="setup"
        )

    def add_data(self):
        return _form()

    def change_data(self, obj):
        return _form(obj, answer="New answer.")
