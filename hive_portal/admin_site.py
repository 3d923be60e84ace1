"""The portal's admin site: Django's, with a home page for people rather than a list of tables.

The home (``index``) shows what waits for the person (``hive_portal.overview``) above the models, which are grouped
by what business users do — Agents & teams, Routing, Knowledge, Monitoring — with the technical tables (users,
login lockouts, API keys, webhooks, Agno's tables, the job queue) in an "Administration" group that only the Admin
role (and superusers) sees. The sidebar shows the same groups. An app's own index page (``/admin/<app>/``) is
Django's, unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# (group, [(app_label, model_name or "*"), …]) in the order shown; a model in no group goes to Administration.
GROUPS: list[tuple[str, StrOrPromise, list[tuple[str, str]]]] = [
    (
        "agents",
        _("Agents & teams"),
        [
            ("agents", "*"),
            ("teams", "*"),
            ("evaluations", "*"),
            ("versioning", "*"),
            ("interchange", "*"),
        ],
    ),
    ("routing", _("Routing"), [("typification", "*"), ("monitoring", "routingdecision")]),
    ("knowledge", _("Knowledge"), [("knowledge", "*")]),
    ("monitoring", _("Monitoring"), [("monitoring", "agentmetric"), ("audit", "*")]),
]
ADMINISTRATION = ("administration", _("Administration"))


def is_administrator(request) -> bool:
    """The Admin role or a superuser: who holds permissions on users (``versioning.roles`` gives the ``auth`` app
    to the Admin role only). From the permissions Django already cached for the request: no query."""
    user = request.user
    return user.is_active and user.has_module_perms("auth")


def _group_of(app_label: str, model_name: str) -> str:
    for slug, _name, members in GROUPS:
        for label, model in members:
            if label == app_label and model in ("*", model_name):
                return slug
    return ADMINISTRATION[0]


class HiveAdminSite(admin.AdminSite):
    index_template = "admin/hive_index.html"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page
        return self.grouped(request, apps)

    def grouped(self, request, apps) -> list[dict]:
        """Django's app list regrouped: one entry per group, each model keeping its app's links."""
        names: dict[str, StrOrPromise] = {slug: name for slug, name, _members in GROUPS}
        names[ADMINISTRATION[0]] = ADMINISTRATION[1]
        groups: dict[str, dict] = {
            slug: {"name": name, "app_label": slug, "app_url": "", "has_module_perms": True, "models": []}
            for slug, name in names.items()
        }
        for app in apps:
            for model in app["models"]:
                slug = _group_of(app["app_label"], model["object_name"].lower())
                groups[slug]["models"].append({**model, "app": app["name"]})
        if not is_administrator(request):
            del groups[ADMINISTRATION[0]]
        return [group for group in groups.values() if group["models"]]

    def index(self, request, extra_context=None):
        from hive_portal.overview import overview

        context = {"overview": overview(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)


class HiveAdminConfig(AdminConfig):
    default_site = "hive_portal.admin_site.HiveAdminSite"
