"""Importing agent and team YAML files into drafts (or published versions), and exporting them.

``components_import`` is all or nothing: every file is read and checked first, then everything is
written in one transaction through the agents/teams services, so a bad file anywhere means nothing
is written. Reading the files is ``interchange.reading`` (one module per format), writing them
``interchange.writer``.

A file in the portal's format may carry the component's test cases (``test_cases:``): the import creates
or updates them by name through the evaluations services, in the same transaction. Cases the file does not
name are left alone: a file exported before a case was added, or one holding a few cases written by hand,
must not delete the others (a case is deleted in the admin, where publishers may delete cases).
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext

from agents.models import Agent, Tool
from agents.selectors import agent_list, normal_parameters, tool_spec_parts
from agents.services import EDITABLE_FIELDS as AGENT_FIELDS
from agents.services import agent_create, agent_update, agent_validate
from audit.models import AuditAction
from audit.services import audit_record, json_diff
from common import agno_documents
from common.batches import batch
from common.hashing import canonical_hash
from evaluations.models import EvalCase
from evaluations.services import case_create, case_update
from interchange.documents import CaseItem, ComponentDocument, ConfigFileError, ConfigFileErrors, SkippedDocument
from interchange.portal_format import CASE_DEFAULTS, CASE_KEYS
from interchange.reading import collect_files, read_document, read_file
from interchange.writer import dump_document, export_path
from prompts.selectors import source_config
from teams.selectors import team_list
from teams.services import EDITABLE_FIELDS as TEAM_FIELDS
from teams.services import team_create, team_update, team_validate
from versioning.components import ComponentKind, get_kind
from versioning.diffs import summarize_changes
from versioning.selectors import component_status, component_statuses
from versioning.services import component_publish

DEFAULT_NOTE = "Imported from YAML"
_FIELDS = {"agent": AGENT_FIELDS, "team": TEAM_FIELDS}
_VALIDATE: dict[str, Callable[[Any], None]] = {"agent": agent_validate, "team": team_validate}
# Working-copy fields → the configuration key a file sets them with (for error lines).
_FIELD_KEYS = {
    "agent_id": "id",
    "team_id": "id",
    "model_provider": "model.provider",
    "model_name": "model.id",
    "model_settings": "model.params",
    "system_prompt": "system_message",
}
# The list fields whose messages start with the item's label and number, “Capability 2 (refunds): …” or, on a
# Portuguese page, “Capacidade 2 (refunds): …” (agents.services.capability_problems): the number is matched,
# whatever the words of the label.
_ROW_FIELDS = ("capabilities", "knowledge_domains")
_ROW_NUMBER = re.compile(r"[^\W\d]+(?: [^\W\d]+)* (\d+)\b")


class Action:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ComponentChange:
    """What the import did (or, in a dry run, would do) to one component."""

    kind: str
    component_id: str
    source: str
    action: str
    published: bool = False
    from_version: int | None = None
    to_version: int | None = None
    diff: dict = field(default_factory=dict)
    # The file's test cases by what the import did to them (Action → count); None when it has none.
    test_cases: dict[str, int] | None = None

    def diff_lines(self, limit: int = 40) -> list[str]:
        """The diff for people: changed prompts line by line (``-``/``+``), other keys one line each.
        Keys added as null (defaults) say nothing and are left out."""
        diff = dict(self.diff)
        if "added" in diff:
            diff["added"] = {key: value for key, value in diff["added"].items() if value is not None}
        texts = {k: c for k, c in diff.get("changed", {}).items() if _is_text(c["from"]) and _is_text(c["to"])}
        diff["changed"] = {k: c for k, c in diff.get("changed", {}).items() if k not in texts}
        lines = []
        for key, change in texts.items():
            lines.append(f"{key}:")
            before, after = _text_lines(change["from"]), _text_lines(change["to"])
            changed = [
                f"  {line[0]} {line[1:]}"
                for line in difflib.unified_diff(before, after, lineterm="", n=0)
                if not line.startswith(("---", "+++", "@@"))
            ]
            lines.extend(changed[:limit])
            if len(changed) > limit:
                lines.append(f"  … and {len(changed) - limit} more lines")
        return lines + summarize_changes(diff, limit=limit)


def _is_text(value: Any) -> bool:
    """Prose worth a line diff: a multi-line text, or a list of texts (instructions)."""
    if isinstance(value, str):
        return "\n" in value
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _text_lines(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    return [line for item in items for line in (item.splitlines() or [""])]


@dataclass
class ImportReport:
    changes: list[ComponentChange]
    skipped: list[SkippedDocument]
    dry_run: bool
    publish: bool
    warnings: list[str] = field(default_factory=list)  # "FILE:LINE: message", e.g. renamed parameters

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


@dataclass
class _Plan:
    doc: ComponentDocument
    kind: ComponentKind
    existing: Any  # the working copy, or None for a new component
    fields: dict
    members: list[dict] | None
    config: dict  # the configuration the component will have (as the selectors build it)

    @property
    def digest(self) -> str:
        return canonical_hash(self.config)


def components_import(
    *,
    paths: Iterable[str | Path],
    actor: Any,
    note: str = "",
    publish: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import agent and team files (Automagik Hive ``config.yaml`` or the portal's export format).

    Creates or updates drafts (and publishes them with ``publish=True``, agents before teams). A file
    whose configuration equals the component's current draft (or, when publishing, its published
    version) changes nothing. A team may only name agents that exist or are in the same import.
    Raises ``ConfigFileErrors`` (each ``FILE:LINE: message``) and writes nothing if any file is bad.
    With ``dry_run`` the same checks and writes run in a transaction that is rolled back, so the report
    shows exactly what would happen.
    """
    documents, skipped = _read_all(collect_files(paths))
    return _import_documents(documents, skipped, actor=actor, note=note, publish=publish, dry_run=dry_run)


# Agno's own component store (agno/db/postgres/schemas.py): the latest published config of each live agent and
# team, the component's current version first. Read only: the portal never writes Agno's schema.
_AGNO_PUBLISHED_SQL = """
SELECT DISTINCT ON (c.component_id) c.component_id, c.component_type, cc.version, cc.config
FROM {schema}."agno_components" c
JOIN {schema}."agno_component_configs" cc ON cc.component_id = c.component_id
WHERE c.component_type IN ('agent', 'team') AND c.deleted_at IS NULL
  AND cc.deleted_at IS NULL AND cc.stage = 'published'
ORDER BY c.component_id, (cc.version = c.current_version) DESC, cc.version DESC
"""


def components_import_agno_db(
    *, actor: Any, schema: str = "agno", note: str = "", dry_run: bool = False
) -> ImportReport:
    """Import the published agents and teams of Agno's own component store (``agno_components`` /
    ``agno_component_configs`` in ``schema`` of this database, as AgentOS and ``Agent.save()`` write them)
    into drafts. Only SELECTs are run on that schema. All or nothing, like ``components_import``."""
    from django.db import connection

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ConfigFileError(schema, None, gettext("not a schema name."))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name IN ('agno_components', 'agno_component_configs')",
            [schema],
        )
        if cursor.fetchone()[0] != 2:
            raise ConfigFileError(
                schema,
                None,
                gettext("Agno's component tables (agno_components, agno_component_configs) are not there."),
            )
        cursor.execute(_AGNO_PUBLISHED_SQL.format(schema=connection.ops.quote_name(schema)))
        rows = cursor.fetchall()
    documents: list[ComponentDocument] = []
    skipped: list[SkippedDocument] = []
    errors: list[ConfigFileError] = []
    for component_id, component_type, version, config in rows:
        source = f"{schema}.agno_component_configs:{component_id}@v{version}"
        if isinstance(config, str):
            config = json.loads(config)
        config = {**config, "id": config.get("id") or component_id}
        try:
            result = read_document(json.dumps(config, ensure_ascii=False, indent=1), source=source)
        except ConfigFileError as exc:
            errors.append(exc)
            continue
        if isinstance(result, SkippedDocument) or result.kind != component_type:
            errors.append(
                ConfigFileError(
                    source,
                    None,
                    gettext("not a serialized Agno agent.")
                    if component_type == "agent"
                    else gettext("not a serialized Agno team."),
                )
            )
            continue
        documents.append(result)
    if errors:
        raise ConfigFileErrors(errors)
    return _import_documents(
        documents,
        skipped,
        actor=actor,
        note=note or "Imported from Agno's component store",
        publish=False,
        dry_run=dry_run,
    )


def _import_documents(documents, skipped, *, actor, note, publish, dry_run) -> ImportReport:
    note = (note or "").strip() or DEFAULT_NOTE
    with transaction.atomic(), batch():  # every audit row of one import shares a batch id
        plans = _plan_all(documents)
        changes, errors = [], []
        for plan in sorted(plans, key=lambda p: p.kind.type != "agent"):  # agents first: teams need them
            try:
                with transaction.atomic():
                    change = _apply(plan, actor=actor, note=note, publish=publish)
                    # After the component and its publish: the file's cases judge its next versions; a new
                    # case, not evaluated yet, would otherwise refuse the very version it came with.
                    change.test_cases = _apply_cases(plan.doc, actor=actor)
                    changes.append(change)
            except ValidationError as exc:
                errors.extend(_located(plan.doc, exc))
            except ConfigFileErrors as exc:
                errors.extend(exc.errors)
            except DatabaseError as exc:
                errors.append(
                    plan.doc.error(None, (gettext("the database refused it: %(error)s") % {"error": exc}).strip())
                )
        if errors:
            raise ConfigFileErrors(errors)
        if dry_run:
            transaction.set_rollback(True)
    warnings = [warning for doc in documents for warning in doc.warnings]
    return ImportReport(changes=changes, skipped=skipped, dry_run=dry_run, publish=publish, warnings=warnings)


def _read_all(files: list[Path]) -> tuple[list[ComponentDocument], list[SkippedDocument]]:
    documents: list[ComponentDocument] = []
    skipped: list[SkippedDocument] = []
    errors: list[ConfigFileError] = []
    for path in files:
        try:
            result = read_file(path)
        except ConfigFileError as exc:
            errors.append(exc)
            continue
        if isinstance(result, SkippedDocument):
            skipped.append(result)
        else:
            documents.append(result)
    seen: dict[tuple[str, str], ComponentDocument] = {}
    for doc in documents:
        key = (doc.kind, doc.component_id)
        if key in seen:
            first = seen[key]
            errors.append(
                doc.error(
                    "id",
                    gettext("%(kind)s %(id)s is also in %(where)s.")
                    % {
                        "kind": gettext("agent") if doc.kind == "agent" else gettext("team"),
                        "id": doc.component_id,
                        "where": f"{first.source}:{first.line}",
                    },
                )
            )
        seen.setdefault(key, doc)
    if errors:
        raise ConfigFileErrors(errors)
    return documents, skipped


def _plan_all(documents: list[ComponentDocument]) -> list[_Plan]:
    """Every document checked against the rules and the database, without writing anything."""
    plans, errors = [], []
    for doc in documents:
        try:
            plans.append(_plan(doc))
        except ValidationError as exc:
            errors.extend(_located(doc, exc))
    imported_agents = {doc.component_id for doc in documents if doc.kind == "agent"}
    member_ids = {m["agent_id"] for doc in documents if doc.kind == "team" for m in doc.config["members"]}
    known = imported_agents | set(Agent.objects.filter(agent_id__in=member_ids).values_list("agent_id", flat=True))
    for doc in documents:
        for member in doc.config.get("members", []) if doc.kind == "team" else []:
            if member["agent_id"] not in known:
                errors.append(
                    doc.error(
                        f"members.@{member['agent_id']}",
                        f"team {doc.component_id}: unknown member agent “{member['agent_id']}” "
                        "(not in the portal and not in this import).",
                    )
                )
    if errors:
        raise ConfigFileErrors(errors)
    return plans


def _tool_notes(doc: ComponentDocument) -> None:
    """Warn (``FILE:LINE``) where the file's tools and the catalogue part: a tool the catalogue lacks is added to
    it; other parameters or other words than the catalogue's stay this component's own (the catalogue is changed
    only in the admin, where a change reaches every agent and team that uses the tool)."""
    specs = doc.config.get("tools")
    if not isinstance(specs, list):
        return
    named = [spec for spec in specs if isinstance(spec, str) or (isinstance(spec, dict) and "name" in spec)]
    catalogue = Tool.objects.in_bulk([tool_spec_parts(spec)[0] for spec in named], field_name="name")
    line = doc.line_for("tools")
    for spec in named:
        name, description, parameters, _ = tool_spec_parts(spec)
        tool = catalogue.get(name)
        if tool is None:
            message = gettext("tool “%(name)s” is not in the tool catalogue: it is added.") % {"name": name}
        elif parameters is not None and normal_parameters(parameters) != normal_parameters(tool.parameters):
            if doc.kind == "agent":
                text = gettext(
                    "tool “%(name)s” declares other parameters than the catalogue's: kept as this agent's own "
                    "(change the catalogue's tool to share them)."
                )
            else:
                text = gettext(
                    "tool “%(name)s” declares other parameters than the catalogue's: kept as this team's own "
                    "(change the catalogue's tool to share them)."
                )
            message = text % {"name": name}
        elif description and description != tool.description:
            if doc.kind == "agent":
                text = gettext(
                    "tool “%(name)s” is described in other words than the catalogue's: kept as this agent's."
                )
            else:
                text = gettext("tool “%(name)s” is described in other words than the catalogue's: kept as this team's.")
            message = text % {"name": name}
        else:
            continue
        doc.warnings.append(f"{doc.source}:{line}: {message}")


def _plan(doc: ComponentDocument) -> _Plan:
    _tool_notes(doc)
    kind = get_kind(doc.kind)
    existing = kind.model._default_manager.filter(**{kind.id_field: doc.component_id}).first()
    # A detached copy of the working copy (or a new one) receives the file's configuration, so the same
    # restore and validation code as rollback and the admin decide what the file means; it is never saved.
    candidate = (
        kind.model._default_manager.get(pk=existing.pk) if existing else kind.model(**{kind.id_field: doc.component_id})
    )
    config = dict(doc.config)
    members = config.pop("members", None)
    try:
        kind.restore(candidate, config)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(gettext("cannot read this configuration (%(error)s).") % {"error": exc}) from None
    _VALIDATE[doc.kind](candidate)
    fields = {name: getattr(candidate, name) for name in _FIELDS[doc.kind] if name != kind.id_field}
    expected = kind.snapshot(candidate)
    if members is not None:
        expected["members"] = members  # the snapshot read the old members from the database
    return _Plan(doc=doc, kind=kind, existing=existing, fields=fields, members=members, config=expected)


def _apply(plan: _Plan, *, actor: Any, note: str, publish: bool) -> ComponentChange:
    kind, doc = plan.kind, plan.doc
    status = component_status(kind.type, doc.component_id)
    # What the file is compared with: what is live when publishing, else the component's current state.
    current = status.published if publish else (status.draft or status.published)
    if plan.existing is None:
        action, before = Action.CREATED, dict[str, Any]()
    elif current is not None and current.content_hash == plan.digest:
        return ComponentChange(kind.type, doc.component_id, doc.source, Action.UNCHANGED, to_version=current.version)
    else:
        action = Action.UPDATED
        before = current.config if current else ({} if publish else kind.snapshot(plan.existing))

    members = _member_agents(plan.members) if plan.members is not None else None
    extra: dict[str, Any] = {} if members is None else {"members": members}
    if plan.existing is None:
        create = agent_create if kind.type == "agent" else team_create
        create(actor=actor, note=note, **{kind.id_field: doc.component_id}, **plan.fields, **extra)
    elif status.draft is None or status.draft.content_hash != plan.digest:
        update = agent_update if kind.type == "agent" else team_update
        update(**{kind.type: plan.existing}, actor=actor, note=note, **plan.fields, **extra)
    version: int | None
    if publish:
        version = component_publish(kind=kind, component_id=doc.component_id, actor=actor, note=note).version
    else:
        draft = component_status(kind.type, doc.component_id).draft
        version = draft.version if draft else None
    change = ComponentChange(
        kind=kind.type,
        component_id=doc.component_id,
        source=doc.source,
        action=action,
        published=publish,
        from_version=current.version if current else None,
        to_version=version,
        diff=json_diff(before, plan.config),
    )
    audit_record(
        action=AuditAction.IMPORTED,
        subject_type=kind.type,
        subject_id=doc.component_id,
        actor=actor,
        reason=f"{note} ({doc.source})",
        diff=change.diff,
        from_version=change.from_version,
        to_version=change.to_version,
        keep_snapshots=False,
    )
    return change


def _apply_cases(doc: ComponentDocument, *, actor: Any) -> dict[str, int] | None:
    """Create or update the file's test cases by (component, name); a case whose fields all equal the file's
    is left untouched. A key a case leaves out takes its default, except ``source`` (where the case came
    from), which an update keeps. Raises ``ConfigFileErrors`` naming each refused case's line."""
    if doc.test_cases is None:
        return None
    counts = {Action.CREATED: 0, Action.UPDATED: 0, Action.UNCHANGED: 0}
    errors: list[ConfigFileError] = []
    existing = {
        case.name: case
        for case in EvalCase.objects.filter(
            component_type=doc.kind, component_id=doc.component_id, name__in=[item.name for item in doc.test_cases]
        )
    }
    for item in doc.test_cases:
        fields = {**copy.deepcopy(CASE_DEFAULTS), **item.fields}
        case = existing.get(item.name)
        try:
            if case is None:
                case_create(actor=actor, component_type=doc.kind, component_id=doc.component_id, **fields)
                counts[Action.CREATED] += 1
                continue
            if "source" not in item.fields:
                del fields["source"]
            changed = {key: value for key, value in fields.items() if getattr(case, key) != value}
            if changed:
                case_update(case=case, actor=actor, **changed)
            counts[Action.UPDATED if changed else Action.UNCHANGED] += 1
        except ValidationError as exc:
            errors.extend(_case_located(item, exc))
    if errors:
        raise ConfigFileErrors(errors)
    return counts


def _case_located(item: CaseItem, exc: ValidationError) -> list[ConfigFileError]:
    """The evaluations service's refusal of a case, at the line of the key it names (else of the case)."""
    if not hasattr(exc, "error_dict"):
        return [item.error(None, message) for message in exc.messages]
    return [
        item.error(key if key in CASE_KEYS else None, message if key == NON_FIELD_ERRORS else f"{key}: {message}")
        for key, messages in exc.message_dict.items()
        for message in messages
    ]


def _member_agents(members: list[dict]) -> list[tuple[Agent, int]]:
    agents = Agent.objects.in_bulk([m["agent_id"] for m in members], field_name="agent_id")
    missing = [m["agent_id"] for m in members if m["agent_id"] not in agents]
    if missing:
        raise ValidationError({"members": gettext("Unknown agent(s): %(agents)s.") % {"agents": ", ".join(missing)}})
    return [(agents[m["agent_id"]], m["position"]) for m in members]


def _located(doc: ComponentDocument, exc: ValidationError) -> list[ConfigFileError]:
    """A service's ValidationError as FILE:LINE errors, each at the key it is about where that is known."""
    if not hasattr(exc, "error_dict"):
        return [doc.error(None, message) for message in exc.messages]
    errors = []
    for field_name, messages in exc.message_dict.items():
        for message in messages:
            key = None if field_name == NON_FIELD_ERRORS else _FIELD_KEYS.get(field_name, field_name)
            if field_name == "parameters":
                key = _named_key(message, doc.config) or None
            elif field_name == "model_settings":
                model = doc.config.get("model") or {}
                setting = _named_key(message, model.get("params") or {} if isinstance(model, dict) else {})
                key = f"model.params.{setting}" if setting else "model"
            elif field_name in _ROW_FIELDS:
                # "Capability 2 (refunds): …" is about the file's second capability: its own line.
                number = _ROW_NUMBER.match(message)
                key = f"{field_name}.{int(number.group(1)) - 1}" if number else field_name
            elif field_name == "members":
                agent_id = _named_key(message, {m["agent_id"]: 1 for m in doc.config.get("members", [])})
                key = f"members.@{agent_id}" if agent_id else "members"
            prefix = f"{key}: " if key and key not in message else ""
            errors.append(doc.error(key, f"{prefix}{message}"))
    return errors


def _named_key(message: str, candidates) -> str | None:
    """The longest candidate key named in ``message`` (services name the offending key in their messages)."""
    for key in sorted((str(c) for c in candidates), key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", message):
            return key
    return None


# --- Export ---------------------------------------------------------------------------------------


@dataclass
class ExportedFile:
    kind: str
    component_id: str
    path: Path
    version: int | None
    status: str


EXPORT_FORMATS = ("yaml", "agno")


def _agno_json(kind_type: str, config: dict, exported: dict) -> str:
    """Agno's own serialized component (``Agent.to_dict()`` / ``Team.to_dict()`` shape) as JSON."""
    if kind_type == "agent":
        document = agno_documents.agent_document(config, exported)
    else:
        members = [m["agent_id"] for m in sorted(config.get("members", []), key=lambda m: m["position"])]
        document = agno_documents.team_document(config, exported, members, None)
    source = (config.get("prompt") or {}).get("source")
    if source:
        # The file also keeps the prompts as written ({{> fragment }}, {{ variable }}) beside Agno's expanded texts:
        # imported again, it means what it says (as a YAML export does); Agno leaves metadata to the runtime.
        document["metadata"]["hive"]["prompt"]["source"] = source
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def components_export(
    *, directory: str | Path, published_only: bool = False, format: str = "yaml"
) -> list[ExportedFile]:
    """Write every agent and team as ``<directory>/agents/<id>.yaml`` / ``teams/<id>.yaml`` (with
    ``format="agno"``: ``<id>.json`` in Agno's own ``to_dict()`` shape, which AgentOS/Studio read).

    A component's file holds its current configuration: the open draft if there is one, else the
    published version (with ``published_only``, the published version; unpublished ones are skipped),
    and, in YAML, its test cases by name (cases have no versions: always the current ones).
    ``components_import`` reads these files back to the identical configuration and cases.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    directory = Path(directory)
    written = []
    cases: dict[tuple[str, str], list[dict]] = {}
    if format == "yaml":  # Agno's own format has no place for them
        # Sorted here, not by the database's collation: the same cases make the same file everywhere.
        for case in sorted(EvalCase.objects.all(), key=lambda c: c.name):
            fields = {key: getattr(case, key) for key in CASE_KEYS}
            cases.setdefault((case.component_type, case.component_id), []).append(fields)
    for kind_type, objects in (("agent", agent_list()), ("team", team_list())):
        kind = get_kind(kind_type)
        objects = list(objects)
        statuses = component_statuses(kind_type, [kind.component_id(obj) for obj in objects])
        for obj in objects:
            component_id = kind.component_id(obj)
            status = statuses[component_id]
            version = status.published if published_only else (status.draft or status.published)
            if version is None and published_only:
                continue
            config = version.config if version else kind.snapshot(obj)
            exported: dict[str, Any] = {
                "version": version.version if version else None,
                "status": version.status if version else "working copy",
                "config_hash": version.content_hash if version else canonical_hash(config),
            }
            path = directory / export_path(kind_type, component_id)
            if format == "agno":
                path = path.with_suffix(".json")
                text = _agno_json(kind_type, config, exported)
            else:
                # The prompts as people wrote them ({{> fragment }}, {{ variable }}), not expanded: a file edited
                # and imported again means what it says; the import expands them with what is published then.
                text = dump_document(
                    kind=kind_type,
                    config=source_config(config),
                    exported=exported,
                    test_cases=cases.get((kind_type, component_id)),
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(ExportedFile(kind_type, component_id, path, exported["version"], exported["status"]))
    return written
