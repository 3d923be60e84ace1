"""The four roles business users get, as Django groups with model permissions.

Created by migration ``versioning.0003_roles`` and kept in step with the models after every
``migrate`` (post_migrate), so a model added later gets its permissions in the right roles.
"""

from __future__ import annotations

VIEWER = "Viewer"
PROMPT_EDITOR = "Prompt editor"
PUBLISHER = "Publisher"
ADMIN = "Admin"
ROLES = (VIEWER, PROMPT_EDITOR, PUBLISHER, ADMIN)

# Apps whose models every role may view (audit included).
PORTAL_APPS = (
    "agents", "prompts", "teams", "typification", "knowledge", "monitoring", "versioning", "audit", "runtime",
    "evaluations",
)  # fmt: skip
# Apps only the Admin role sees at all: webhook endpoints hold secrets and URLs into other systems, and their
# delivery log shows those systems' answers.
ADMIN_ONLY_APPS = ("webhooks",)
# What a prompt editor edits: drafts only (publishing is a separate permission). The typification paths
# and business-unit routes are the routing component's working copy, so editing them edits its draft.
EDITABLE_MODELS = {
    # A catalogue tool's change reaches the runtime only as drafts of the agents that use it: editors keep it.
    "agents": ("agent", "tool"),
    # A fragment's change reaches the runtime only when it is published; declaring a variable lets drafts use it.
    "prompts": ("promptfragment", "promptvariable"),
    "teams": ("team", "teammember"),
    "typification": ("typificationhierarchy", "businessunitroute", "routingtable"),
    "evaluations": ("evalcase",),  # editors write the test cases their drafts are judged by
}
# Rows an editor may delete because deleting them changes a draft only (the routing's working copy).
DRAFT_DELETABLE_MODELS = {
    "typification": ("typificationhierarchy", "businessunitroute"),
}
# Content that the runtime serves as soon as it is saved (knowledge search): it has no draft, so only
# roles that may change production (publishers) add, change or delete it.
LIVE_ON_SAVE_MODELS = {
    "knowledge": ("knowledgeentry",),
    "evaluations": ("evalsuite",),  # a suite's pass rate is the gate itself: publishers set it
}
DELETABLE_MODELS = {
    "agents": ("agent", "tool"),  # a tool only while no agent uses it
    "prompts": ("promptfragment", "promptvariable"),  # only while nothing includes or uses them
    "teams": ("team", "teammember"),
    **DRAFT_DELETABLE_MODELS,
    **LIVE_ON_SAVE_MODELS,
    "evaluations": ("evalcase", "evalsuite"),  # deleting a case weakens the gate: publishers only
}


def role_permissions(role: str, permissions) -> set:
    """The subset of ``permissions`` (Permission objects with content_type selected) ``role`` gets."""
    chosen = set()
    for perm in permissions:
        app = perm.content_type.app_label
        model = perm.content_type.model
        action = perm.codename.split("_", 1)[0]
        if role == ADMIN:
            if app in PORTAL_APPS or app in ADMIN_ONLY_APPS or app in ("auth", "axes", "admin"):
                chosen.add(perm)
            continue
        if app not in PORTAL_APPS:
            continue
        if action == "view":
            if app == "runtime":
                continue  # API keys are for admins only
            chosen.add(perm)
        elif (
            role in (PROMPT_EDITOR, PUBLISHER) and action in ("add", "change") and model in EDITABLE_MODELS.get(app, ())
        ):
            if model != "routingtable" or action == "change":  # the routing is one row, never added
                chosen.add(perm)
        elif (
            role in (PROMPT_EDITOR, PUBLISHER)
            and action == "delete"
            and model in DRAFT_DELETABLE_MODELS.get(app, ())
            or role == PUBLISHER
            and action in ("add", "change")
            and model in LIVE_ON_SAVE_MODELS.get(app, ())
            or role == PUBLISHER
            and action == "delete"
            and model in DELETABLE_MODELS.get(app, ())
            or role == PUBLISHER
            and perm.codename in ("publish_component", "review_component")
        ):
            chosen.add(perm)
    return chosen


def sync_roles(using="default", **kwargs) -> None:
    """Create the role groups if needed and give each exactly its permissions (runs after migrate)."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connections

    existing = set(connections[using].introspection.table_names())
    if not {Group._meta.db_table, Permission._meta.db_table} <= existing:
        return  # auth was migrated back to zero: nothing to sync

    permissions = list(Permission.objects.using(using).select_related("content_type"))
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(role_permissions(role, permissions))
