"""Writes for prompt fragments and variables; the release of a fragment's dependents.

A fragment is versioned like an agent (draft, review, publish, rollback through ``versioning.services``). When a
version of it goes live, every agent and team whose prompts include it is released with the new text in the same
transaction and audit batch (``release_dependents``, the fragment kind's ``went_live``): each gets a new published
version whose change note names the fragment version it picked up, and an open draft is expanded anew. One refusal
(a dependent's rules or release gates) rolls the whole publish back.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from common.services import apply_fields
from prompts.models import PromptFragment, PromptVariable
from prompts.selectors import (
    FRAGMENT,
    dependents,
    expand_prompt_config,
    fragment_users,
    prompt_problems,
    published_fragments,
    reexpand,
    variable_users,
)
from versioning.components import get_kind
from versioning.models import VersionStatus
from versioning.services import check_revision, component_republish, draft_refresh, draft_save, record_created

FRAGMENT_FIELDS = ("name", "title", "description", "text")
VARIABLE_FIELDS = ("name", "type", "required", "description", "example")


def _kind():
    return get_kind(FRAGMENT)


@transaction.atomic
def fragment_create(*, actor: Any, note: str, **fields) -> PromptFragment:
    fragment = PromptFragment()
    apply_fields(fragment, fields, editable=FRAGMENT_FIELDS, label="prompt fragment")
    fragment.full_clean()
    fragment.save()
    record_created(kind=_kind(), obj=fragment, actor=actor, note=note)
    draft_save(kind=_kind(), obj=fragment, actor=actor, note=note)
    return fragment


@transaction.atomic
def fragment_update(
    *,
    fragment: PromptFragment,
    actor: Any,
    note: str,
    expected_revision: int | None = None,
    base_snapshot: dict | None = None,
    **fields,
) -> PromptFragment:
    kind = _kind()
    current = kind.get_locked(fragment.name) if fragment.pk else fragment
    check_revision(kind=kind, current=current, expected_revision=expected_revision, base_snapshot=base_snapshot)
    published = current.version != ""
    if published and fields.get("name", current.name) != current.name:
        raise ValidationError(
            {
                "name": ValidationError(
                    _("A published fragment keeps its name: prompts include it by that name."), code="name_fixed"
                )
            }
        )
    apply_fields(current, fields, editable=FRAGMENT_FIELDS, label="prompt fragment")
    current.full_clean()
    current.revision += 1
    current.save()
    draft_save(kind=kind, obj=current, actor=actor, note=note)
    return current


def fragment_restore(fragment: PromptFragment, config: dict) -> None:
    fragment.title = config.get("title") or fragment.title
    fragment.description = config.get("description") or ""
    fragment.text = config.get("text") or ""


def release_dependents(fragment: PromptFragment, version, *, actor: Any, note: str, override: str = "") -> list:
    """Release every agent and team that includes ``fragment`` with the text of ``version``, now live. Returns the
    versions published."""
    label = f"{fragment.name} v{version.version}"
    lookup = published_fragments()
    released = []
    for row in dependents(fragment.name):
        kind = get_kind(row.component_type)
        config = reexpand(row.config, lookup)
        if row.status == VersionStatus.PUBLISHED:
            new = component_republish(
                kind=kind,
                component_id=row.component_id,
                config=config,
                actor=actor,
                note=f"Picked up prompt fragment {label}: {note}",
                override=override,
                generation_moved=True,  # by the fragment's own publish, in this transaction
            )
            if new is not None:
                released.append(new)
        else:
            draft_refresh(
                kind=kind,
                component_id=row.component_id,
                config=config,
                actor=actor,
                note=f"Expanded again with prompt fragment {label}",
            )
    return released


def check_unused(fragment: PromptFragment) -> None:
    """Refuse to deactivate or delete a fragment anything still includes."""
    users = fragment_users(fragment.name)
    if users:
        names = ", ".join(f"{kind} {component_id}" for kind, component_id in users)
        raise ValidationError(
            _("%(fragment)s is included by %(users)s: remove the include from them first."),
            code="still_used",
            params={"fragment": fragment.name, "users": names},
        )


def validate_fragment_live(fragment: PromptFragment, config: dict) -> None:
    """A fragment may go live when its text expands: every fragment it includes published, no include leading
    back to itself, only declared variables."""
    published = published_fragments()

    def lookup(name: str):
        return (0, config["text"]) if name == fragment.name else published(name)

    # Expand "{{> itself }}": a chain that comes back to it is a cycle.
    expanded = expand_prompt_config({"instructions": [f"{{{{> {fragment.name} }}}}"]}, lookup)
    problems = prompt_problems(expanded)
    if problems:
        raise ValidationError(
            _("Fragment %(fragment)s %(problems)s."),
            code="prompt",
            params={"fragment": fragment.name, "problems": "; ".join(problems)},
        )


# --- Variables ----------------------------------------------------------------------------------------------


def _audit_variable(action: str, variable: PromptVariable, actor: Any, note: str, **extra) -> None:
    audit_record(
        action=action,
        subject_type=AuditSubject.PROMPT_VARIABLE,
        subject_id=variable.name,
        actor=actor,
        reason=note,
        **extra,
    )


@transaction.atomic
def variable_create(*, actor: Any, note: str = "", **fields) -> PromptVariable:
    variable = PromptVariable()
    apply_fields(variable, fields, editable=VARIABLE_FIELDS, label="prompt variable")
    variable.full_clean()
    variable.save()
    _audit_variable(
        AuditAction.CREATED, variable, actor, note, after={k: getattr(variable, k) for k in VARIABLE_FIELDS}
    )
    return variable


@transaction.atomic
def variable_update(*, variable: PromptVariable, actor: Any, note: str = "", **fields) -> PromptVariable:
    variable = PromptVariable.objects.select_for_update().get(pk=variable.pk)
    before = {k: getattr(variable, k) for k in VARIABLE_FIELDS}
    if fields.get("name", variable.name) != variable.name:
        raise ValidationError(
            {"name": ValidationError(_("A variable keeps its name: prompts use it by that name."), code="name_fixed")}
        )
    apply_fields(variable, fields, editable=VARIABLE_FIELDS, label="prompt variable")
    variable.full_clean()
    variable.save()
    _audit_variable(
        AuditAction.UPDATED,
        variable,
        actor,
        note,
        before=before,
        after={k: getattr(variable, k) for k in VARIABLE_FIELDS},
    )
    return variable


@transaction.atomic
def variable_delete(*, variable: PromptVariable, actor: Any, note: str = "") -> None:
    used = variable_users(variable.name)
    if used:
        raise ValidationError(
            _("%(variable)s is used by %(users)s: remove it from their prompts first."),
            code="still_used",
            params={"variable": variable.name, "users": ", ".join(used)},
        )
    before = {k: getattr(variable, k) for k in VARIABLE_FIELDS}
    variable.delete()
    _audit_variable(AuditAction.DELETED, variable, actor, note, before=before)


def check_prompts(config: dict) -> None:
    """Refuse to put live an agent's or team's configuration whose prompts do not expand cleanly."""
    problems = prompt_problems(config)
    if problems:
        if config.get("id"):
            raise ValidationError(
                _("The prompt of %(component)s %(problems)s."),
                code="prompt",
                params={"component": config["id"], "problems": "; ".join(problems)},
            )
        raise ValidationError(
            _("The prompt of this component %(problems)s."), code="prompt", params={"problems": "; ".join(problems)}
        )
