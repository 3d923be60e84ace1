"""The API key admin through the shared declarative cases (tests/cases.py): admins only; creating, changing
and revoking a key are audited under the key's id. "Delete" revokes: the row stays, so the audit and the
runtime's refusal can still name it."""

import pytest

from runtime.models import ApiKey
from runtime.services import api_key_create
from tests.cases import AdminAddCase, AdminChangeCase, AdminChangelistCase, AdminDeleteCase

pytestmark = pytest.mark.django_db


class TestApiKeyAdmin(AdminChangelistCase, AdminAddCase, AdminChangeCase, AdminDeleteCase):
    model = ApiKey
    audit_subject = "api_key"
    view_roles = add_roles = change_roles = delete_roles = ("Admin",)
    add_success_status = 200  # the page that shows the new secret, once
    delete_action = "deactivated"
    change_expected = {"scopes": ["config:read", "metrics:write"], "environment": "production"}

    def create_object(self, n):
        key, _ = api_key_create(name=f"runtime-{n}", scopes=["config:read"])
        return key

    def add_data(self):
        return {
            "name": "runtime-new",
            "scopes": ["config:read", "knowledge:search"],
            "environment": "production",
            "expires_at_0": "",
            "expires_at_1": "",
        }

    def change_data(self, obj):
        return {
            "name": obj.name,
            "scopes": ["config:read", "metrics:write"],
            "environment": "production",
            "expires_at_0": "",
            "expires_at_1": "",
        }

    def assert_deleted(self, obj):
        obj.refresh_from_db()
        assert obj.revoked_at is not None
