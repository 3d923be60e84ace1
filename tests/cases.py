"""Declarative test cases for admin pages and API endpoints, after NetBox's ``ViewTestCases`` / ``APIViewTestCases``.

A subject gets the standard checks by declaring a class of a few attributes::

    class TestKnowledgeEntryAdmin(AdminChangelistCase, AdminAddCase, AdminChangeCase, AdminDeleteCase):
        model = KnowledgeEntry
        audit_subject = "knowledge"
        view_roles = ALL_ROLES
        add_roles = change_roles = delete_roles = ("Publisher", "Admin")

        def create_object(self, n): ...
        def add_data(self): ...
        def change_data(self, obj): ...
        change_expected = {"answer": "New answer."}

Every check runs once per role: roles that may act must succeed, and every successful write must leave exactly
the audit rows it promises (``audit.models.AuditRecord``: action, subject, object id, the acting user);
roles that may not (and an anonymous visitor) must be refused with nothing changed and no audit row.

The classes are plain pytest classes (no ``unittest``): the methods take pytest-django's ``client`` and the
suite's ``api_key_factory`` fixtures, and the role parameter is generated from the class attributes by the
class's own ``pytest_generate_tests``. The base classes' names do not start with ``Test``, so only the
declaring subclasses are collected.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Max, Model
from django.forms.models import model_to_dict
from django.urls import reverse

from audit.models import AuditRecord
from hive_portal.testing import error_of, key_client

ALL_ROLES = ("Viewer", "Prompt editor", "Publisher", "Admin")
ANONYMOUS = "anonymous"
ALL_SCOPES = ("config:read", "metrics:write", "knowledge:search", "typification:read")


# --- People and audit rows ------------------------------------------------------------------------------------


def login_as(client, role: str):
    """Log ``client`` in as a new staff user holding only ``role`` (or nobody, for ``anonymous``)."""
    if role == ANONYMOUS:
        return None
    username = "as-" + role.lower().replace(" ", "-")
    user = get_user_model().objects.create_user(username=username, password="not-used-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def audit_mark() -> int:
    """The newest audit row's id: rows written after it are the ones the action under test wrote."""
    return AuditRecord.objects.aggregate(last=Max("id"))["last"] or 0


def audit_since(mark: int) -> list[tuple[str, str, str, str]]:
    rows = AuditRecord.objects.filter(id__gt=mark).order_by("id")
    return [(r.action, r.subject_type, r.subject_id, r.actor_name) for r in rows]


def by_role(attribute: str, *, refused: bool = False):
    """Run the test once per role named in the class attribute ``attribute`` (``refused=True``: once per
    role *not* named there, and once anonymously)."""

    def mark(test):
        test.roles_from = (attribute, refused)
        return test

    return mark


class _RoleCases:
    def pytest_generate_tests(self, metafunc):
        spec = getattr(metafunc.function, "roles_from", None)
        if spec is None:
            return
        attribute, refused = spec
        allowed = tuple(getattr(self, attribute))
        unknown = set(allowed) - set(ALL_ROLES)
        assert not unknown, f"{type(self).__name__}.{attribute} names unknown role(s) {sorted(unknown)}"
        roles = [r for r in ALL_ROLES if r not in allowed] + [ANONYMOUS] if refused else list(allowed)
        assert roles, f"{type(self).__name__}.{attribute} is empty: declare who may act, or drop the case"
        metafunc.parametrize("role", roles)


# --- Admin -------------------------------------------------------------------------------------------------------


class AdminCase(_RoleCases):
    """What every admin case needs: the model, who may see its pages, how to make an object, how its audit
    rows name it."""

    model: ClassVar[type[Model]]
    audit_subject: ClassVar[str]  # AuditRecord.subject_type of this model's rows
    view_roles: ClassVar[tuple[str, ...]] = ()

    def create_object(self, n: int) -> Model:
        """A saved object, distinct for each ``n`` (made through the model's service)."""
        raise NotImplementedError

    def audit_id(self, obj: Model) -> str:
        """AuditRecord.subject_id of ``obj``'s rows."""
        return str(obj.pk)

    def url(self, name: str, *args) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)

    def assert_refused(self, response, role: str) -> None:
        if role == ANONYMOUS:
            assert response.status_code == 302, response
            assert response["Location"].startswith(reverse("admin:login") + "?next="), response["Location"]
        else:
            assert response.status_code == 403, (role, response.status_code)

    def assert_audited(self, mark: int, action: str, objects, user) -> None:
        expected = [(action, self.audit_subject, self.audit_id(obj), user.username) for obj in objects]
        assert audit_since(mark) == expected
        assert set(AuditRecord.objects.filter(id__gt=mark).values_list("actor_id", flat=True)) == {user.pk}

    @staticmethod
    def form_errors(response) -> Any:
        context = getattr(response, "context", None)
        if context and "adminform" in context:
            return context["adminform"].form.errors
        return response


class AdminChangelistCase(AdminCase):
    @by_role("view_roles")
    def test_changelist__role_that_may_view__lists_every_object(self, client, db, role):
        objects = [self.create_object(n) for n in range(2)]
        login_as(client, role)
        response = client.get(self.url("changelist"))
        assert response.status_code == 200
        assert {o.pk for o in response.context["cl"].result_list} == {o.pk for o in objects}

    @by_role("view_roles", refused=True)
    def test_changelist__other_role__refused(self, client, db, role):
        self.create_object(0)
        login_as(client, role)
        self.assert_refused(client.get(self.url("changelist")), role)


class AdminAddCase(AdminCase):
    add_roles: ClassVar[tuple[str, ...]] = ()
    add_success_status: ClassVar[int] = 302

    def add_data(self) -> dict:
        """What the add form posts."""
        raise NotImplementedError

    @by_role("add_roles")
    def test_add__role_that_may_add__creates_one_object_audited_as_created(self, client, db, role):
        user = login_as(client, role)
        before, mark = set(self.model.objects.values_list("pk", flat=True)), audit_mark()
        response = client.post(self.url("add"), self.add_data())
        assert response.status_code == self.add_success_status, self.form_errors(response)
        created = list(self.model.objects.exclude(pk__in=before))
        assert len(created) == 1
        self.assert_audited(mark, "created", created, user)

    @by_role("add_roles", refused=True)
    def test_add__other_role__refused_nothing_created_nothing_audited(self, client, db, role):
        login_as(client, role)
        count, mark = self.model.objects.count(), audit_mark()
        self.assert_refused(client.post(self.url("add"), self.add_data()), role)
        assert self.model.objects.count() == count
        assert audit_since(mark) == []


class AdminChangeCase(AdminCase):
    change_roles: ClassVar[tuple[str, ...]] = ()
    change_expected: ClassVar[dict[str, Any]] = {}  # field -> value after the change

    def change_data(self, obj: Model) -> dict:
        """What the change form posts to make the ``change_expected`` change."""
        raise NotImplementedError

    @by_role("change_roles")
    def test_change__role_that_may_change__saves_audited_as_updated(self, client, db, role):
        assert self.change_expected, f"{type(self).__name__}.change_expected is empty: the test would prove nothing"
        obj = self.create_object(0)
        assert {f: getattr(obj, f) for f in self.change_expected} != self.change_expected, "already as expected"
        user = login_as(client, role)
        mark = audit_mark()
        response = client.post(self.url("change", obj.pk), self.change_data(obj))
        assert response.status_code == 302, self.form_errors(response)
        obj.refresh_from_db()
        assert {f: getattr(obj, f) for f in self.change_expected} == self.change_expected
        self.assert_audited(mark, "updated", [obj], user)

    @by_role("change_roles", refused=True)
    def test_change__other_role__refused_nothing_changed_nothing_audited(self, client, db, role):
        obj = self.create_object(0)
        before = model_to_dict(obj)
        login_as(client, role)
        mark = audit_mark()
        self.assert_refused(client.post(self.url("change", obj.pk), self.change_data(obj)), role)
        obj.refresh_from_db()
        assert model_to_dict(obj) == before
        assert audit_since(mark) == []


class AdminDeleteCase(AdminCase):
    delete_roles: ClassVar[tuple[str, ...]] = ()
    delete_action: ClassVar[str] = "deleted"  # the audit action a delete writes

    def assert_deleted(self, obj: Model) -> None:
        """What "deleted" means for this model (default: the row is gone)."""
        assert not self.model.objects.filter(pk=obj.pk).exists()

    @by_role("delete_roles")
    def test_delete__role_that_may_delete__deleted_and_audited(self, client, db, role):
        obj = self.create_object(0)
        user = login_as(client, role)
        mark = audit_mark()
        response = client.post(self.url("delete", obj.pk), {"post": "yes"})
        assert response.status_code == 302
        assert response["Location"] == self.url("changelist")
        self.assert_deleted(obj)
        self.assert_audited(mark, self.delete_action, [obj], user)

    @by_role("delete_roles")
    def test_bulk_delete__role_that_may_delete__each_deleted_and_audited(self, client, db, role):
        objects = [self.create_object(n) for n in range(2)]
        user = login_as(client, role)
        mark = audit_mark()
        data = {"action": "delete_selected", "_selected_action": [o.pk for o in objects], "post": "yes"}
        response = client.post(self.url("changelist"), data)
        assert response.status_code == 302
        for obj in objects:
            self.assert_deleted(obj)
        assert sorted(audit_since(mark)) == sorted(
            (self.delete_action, self.audit_subject, self.audit_id(o), user.username) for o in objects
        )
        batches = set(AuditRecord.objects.filter(id__gt=mark).values_list("batch_id", flat=True))
        assert len(batches) == 1 and None not in batches  # one operation, one batch id on all its rows

    @by_role("delete_roles", refused=True)
    def test_delete__other_role__refused_nothing_deleted_nothing_audited(self, client, db, role):
        obj = self.create_object(0)
        before = model_to_dict(obj)
        login_as(client, role)
        mark = audit_mark()
        self.assert_refused(client.post(self.url("delete", obj.pk), {"post": "yes"}), role)
        obj.refresh_from_db()
        assert model_to_dict(obj) == before
        assert audit_since(mark) == []

    @by_role("delete_roles", refused=True)
    def test_bulk_delete__other_role__nothing_deleted_nothing_audited(self, client, db, role):
        obj = self.create_object(0)
        before = model_to_dict(obj)
        login_as(client, role)
        mark = audit_mark()
        data = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        response = client.post(self.url("changelist"), data)
        if role in self.view_roles:
            # The action is not offered to a role that may not delete: the admin ignores it.
            assert response.status_code == 302 and response["Location"] == self.url("changelist")
        else:
            self.assert_refused(response, role)
        obj.refresh_from_db()
        assert model_to_dict(obj) == before
        assert audit_since(mark) == []


# --- API ---------------------------------------------------------------------------------------------------------


class _ScopeCases:
    def pytest_generate_tests(self, metafunc):
        if "other_scope" in metafunc.fixturenames:
            metafunc.parametrize("other_scope", [s for s in ALL_SCOPES if s != self.scope])


class APICase(_ScopeCases):
    """An endpoint called with an API key that needs one scope."""

    url: ClassVar[str]
    scope: ClassVar[str]
    method: ClassVar[str] = "get"

    def call(self, client, body=None):
        if self.method == "get":
            return client.get(self.url)
        return client.post(self.url, body, format="json")

    def body(self):
        return None

    def test_api__key_without_the_scope__403_naming_it(self, api_key_factory, db, other_scope):
        _, raw = api_key_factory(other_scope)
        mark, state = audit_mark(), self.state()
        response = self.call(key_client(raw), self.body())
        assert response.status_code == 403
        error = error_of(response)
        assert (error["code"], error["fields"]) == ("permission_denied", {})
        assert self.scope in error["message"]
        assert self.state() == state and audit_since(mark) == []

    @pytest.mark.parametrize(
        ("raw", "code"), [(None, "not_authenticated"), ("hive_not-a-real-key", "authentication_failed")]
    )
    def test_api__no_or_unknown_key__401(self, db, raw, code):
        from rest_framework.test import APIClient

        mark, state = audit_mark(), self.state()
        response = self.call(key_client(raw) if raw else APIClient(), self.body())
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="hive"'
        assert error_of(response)["code"] == code
        assert self.state() == state and audit_since(mark) == []

    def state(self) -> Any:
        """What a refused call must leave as it was (default: nothing to compare)."""
        return None


class APIListCase(APICase):
    """A read endpoint: the key with the scope reads exactly the expected items; reading writes no audit."""

    def create_objects(self) -> list:
        raise NotImplementedError

    def listed(self, response) -> list:
        """The items' ids in the response."""
        raise NotImplementedError

    def expected(self, objects) -> list:
        raise NotImplementedError

    def test_list__key_with_the_scope__lists_exactly_the_objects(self, api_key_factory, db):
        objects = self.create_objects()
        _, raw = api_key_factory(self.scope)
        mark = audit_mark()
        response = key_client(raw).get(self.url)
        assert response.status_code == 200, response.content
        assert self.listed(response) == self.expected(objects)
        assert audit_since(mark) == []


class APICreateCase(APICase):
    """A write endpoint. A subclass declares ``audit_action`` (every successful write leaves exactly one such
    audit row, named by ``audit_id``) or, for a write that is deliberately not audited, a non-empty
    ``not_audited_because``: the case then checks that no audit row is written, so the exemption is asserted,
    not assumed."""

    method = "post"
    created_status: ClassVar[int] = 201
    audit_action: ClassVar[str | None] = None
    audit_subject: ClassVar[str | None] = None
    not_audited_because: ClassVar[str] = ""

    def valid_body(self) -> Any:
        raise NotImplementedError

    def invalid_body(self) -> tuple[Any, dict]:
        """A body with one mistake, and the ``fields`` map of the 400 it gets."""
        raise NotImplementedError

    def body(self):
        return self.valid_body()

    def stored(self) -> int:
        """How many rows the endpoint's writes are in (compared before and after)."""
        raise NotImplementedError

    def state(self):
        return self.stored()

    def expected_stored(self, body) -> int:
        return len(body["records"])

    def test_create__key_with_the_scope__stored_and_audited_as_declared(self, api_key_factory, db):
        assert bool(self.audit_action) != bool(self.not_audited_because), (
            f"{type(self).__name__}: declare audit_action, or why the write is not audited (not_audited_because)"
        )
        _, raw = api_key_factory(self.scope, name="writer")
        body, before, mark = self.valid_body(), self.stored(), audit_mark()
        response = self.call(key_client(raw), body)
        assert response.status_code == self.created_status, response.content
        assert self.stored() - before == self.expected_stored(body)
        if self.audit_action:
            assert [(a, s, who) for a, s, _, who in audit_since(mark)] == [
                (self.audit_action, self.audit_subject, "api-key:writer")
            ]
        else:
            assert audit_since(mark) == []

    def test_create__invalid_body__400_naming_the_field_nothing_stored(self, api_key_factory, db):
        _, raw = api_key_factory(self.scope)
        body, fields = self.invalid_body()
        before, mark = self.stored(), audit_mark()
        response = self.call(key_client(raw), body)
        assert response.status_code == 400, response.content
        error = error_of(response)
        assert (error["code"], error["fields"]) == ("invalid", fields)
        assert self.stored() == before and audit_since(mark) == []
