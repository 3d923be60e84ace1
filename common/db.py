"""Small database building blocks shared by the apps (constraints that work on PostgreSQL and SQLite)."""

from __future__ import annotations

from django.db import models
from django.db.models import Func, Q
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class JSONTypeOf(Func):
    """``jsonb_typeof(expr)`` on PostgreSQL, ``json_type(expr)`` on SQLite: 'object', 'array', ..."""

    function = "jsonb_typeof"
    output_field = models.CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="json_type", **extra_context)


def json_is(field: str, kind: str) -> Q:
    """A check-constraint condition: the JSON in ``field`` is of ``kind`` ('object' or 'array')."""
    return Q(models.lookups.Exact(JSONTypeOf(field), kind))


def _json_kind_message(field: str, kind: str) -> str:
    """The constraint's refusal in the language active when it is shown (the field named as in the code)."""
    what = field.replace("_", " ").capitalize()
    if kind == "object":
        return gettext("%(field)s must be a JSON object.") % {"field": what}
    return gettext("%(field)s must be a JSON list.") % {"field": what}


_json_kind_message_lazy = lazy(_json_kind_message, str)


def json_object_constraint(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=json_is(field, "object"),
        name=f"%(app_label)s_%(class)s_{field}_is_object",
        violation_error_message=_json_kind_message_lazy(field, "object"),
    )


def json_array_constraint(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=json_is(field, "array"),
        name=f"%(app_label)s_%(class)s_{field}_is_array",
        violation_error_message=_json_kind_message_lazy(field, "array"),
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        abstract = True
