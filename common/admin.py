"""Admin bases every app shares.

* ``ServiceBackedAdmin``: the admin's add, change and delete go through the app's services (which validate,
  write the audit row and tell the runtime), never ``obj.save()``/``obj.delete()``; a bulk delete is one
  transaction. Like every ``PortalHistoryAdmin``, its History link shows the portal's audit trail for the
  object, and Django's own ``LogEntry`` is not written: one history, the portal's.
* ``ReadOnlyAdmin``: a table nobody edits in the admin (the audit trail, versions, Agno's tables).
* ``page_context``: what an extra admin page's template needs, as the admin's own pages have it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from common.batches import batch

# The audit trail's list (the audit app's admin), found by URL name: common imports no portal app.
AUDIT_LOG_URL_NAME = "admin:audit_auditrecord_changelist"


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved ``obj`` the row a service saved (``saved``): every column, the primary key
    and the "already in the database" state, so the admin's messages, redirects and inlines see that row."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def page_context(model_admin: admin.ModelAdmin, request: HttpRequest, *, title: str, **extra: Any) -> dict[str, Any]:
    """The context an extra page of ``model_admin`` renders with: the site's (header, sidebar, user links),
    the model's options (breadcrumbs), the title, and ``extra``."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


class PortalHistoryAdmin(admin.ModelAdmin):
    """History is the portal's audit trail; Django's ``LogEntry`` is not written (the services write the
    audit row of every change, with its reason and diff)."""

    #: The audit subject type of this model's rows (``audit.models.AuditSubject``).
    audit_subject_type: str = ""

    def audit_subject_id(self, obj: models.Model) -> str:
        """How the audit trail names ``obj`` (its primary key unless the model has a better name)."""
        return str(obj.pk)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        query = urlencode({"subject_type": self.audit_subject_type, "subject_id": self.audit_subject_id(obj)})
        return HttpResponseRedirect(f"{reverse(AUDIT_LOG_URL_NAME)}?{query}")

    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletion(self, request, obj, object_repr):
        return None

    def log_deletions(self, request, queryset):
        return None


class ServiceBackedAdmin(PortalHistoryAdmin):
    """Add, change and delete through the app's services. Subclasses implement ``create``, ``update`` and
    ``delete``; a service's ``ValidationError`` raised here is a bug in the form (forms validate first)."""

    def create(self, request, form) -> models.Model:
        raise NotImplementedError

    def update(self, request, obj, form) -> models.Model:
        raise NotImplementedError

    def delete(self, request, obj) -> None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        saved = self.update(request, obj, form) if change else self.create(request, form)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        # All or nothing: one refused row leaves every row in place; one batch id on every audit row.
        with transaction.atomic(), batch():
            for obj in queryset:
                self.delete(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services (or by another system) only: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
