"""``manage.py import_components PATH... [--publish] [--message TEXT] [--dry-run]``
and ``manage.py import_components --from-agno-db [--agno-schema agno]``."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, npgettext, pgettext

from audit.services import cli_actor
from common.commands import PortalCommand
from interchange.documents import ConfigFileError, ConfigFileErrors
from interchange.importing import Action, components_import, components_import_agno_db
from versioning.components import get_kind

SUMMARY_ACTIONS = (Action.CREATED, Action.UPDATED, Action.UNCHANGED)


def _done(kind: str, action: str, dry_run: bool) -> str:
    """What happened to a component (or would), as a word for people; by kind, since in Portuguese the word
    agrees with the kind's gender (an agent is “criado”, a team “criada”)."""
    if kind == "team":
        words = {
            Action.CREATED: (pgettext("team", "created"), pgettext("team", "would be created")),
            Action.UPDATED: (pgettext("team", "updated"), pgettext("team", "would be updated")),
        }
    else:
        words = {
            Action.CREATED: (pgettext("agent", "created"), pgettext("agent", "would be created")),
            Action.UPDATED: (pgettext("agent", "updated"), pgettext("agent", "would be updated")),
        }
    done, would = words.get(action, (action, action))
    return would if dry_run else done


def _counted(action: str, count: int) -> str:
    """``3 created``: how many components (or test cases) an action touched."""
    if action == Action.CREATED:
        text = npgettext("components", "%(count)d created", "%(count)d created", count)
    elif action == Action.UPDATED:
        text = npgettext("components", "%(count)d updated", "%(count)d updated", count)
    elif action == Action.UNCHANGED:
        text = npgettext("components", "%(count)d unchanged", "%(count)d unchanged", count)
    else:
        text = f"%(count)d {action}"
    return text % {"count": count}


class Command(PortalCommand):
    help = gettext_lazy(
        "Import agent and team files (Automagik Hive config.yaml, the portal's export format, or Agno's own "
        "Agent/Team.to_dict() JSON) as drafts, or publish them with --publish. A folder is searched recursively "
        "for *.yaml/*.yml/*.json. With --from-agno-db, the published agents and teams of Agno's component store "
        "in this database (read only) become drafts. All or nothing: if any file is bad, nothing is written. "
        "Unchanged files make no new version. Test cases in a file (test_cases:) are created or updated by name; "
        "cases a file does not name are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help=_("A YAML/JSON file or a folder."))
        parser.add_argument(
            "--from-agno-db",
            action="store_true",
            help=_("Read Agno's agno_components/agno_component_configs (published configs) instead of files."),
        )
        parser.add_argument("--agno-schema", default="agno", help=_("The schema of Agno's tables (default agno)."))
        parser.add_argument("--publish", action="store_true", help=_("Publish what changed (agents before teams)."))
        parser.add_argument(
            "--message", "-m", default="", help=_("Change note recorded on every version and audit row.")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("Show what would change, write nothing."))

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        if options["from_agno_db"] == bool(options["paths"]):
            raise CommandError(_("Give files or folders to import, or --from-agno-db (not both)."))
        try:
            if options["from_agno_db"]:
                if options["publish"]:
                    raise CommandError(_("--from-agno-db imports drafts only: review and publish them in the portal."))
                report = components_import_agno_db(
                    actor=cli_actor(), schema=options["agno_schema"], note=options["message"], dry_run=dry_run
                )
            else:
                report = components_import(
                    paths=options["paths"],
                    actor=cli_actor(),
                    note=options["message"],
                    publish=options["publish"],
                    dry_run=dry_run,
                )
        except (ConfigFileError, ConfigFileErrors) as exc:
            raise CommandError(f"{exc}\n" + _("Nothing was imported.")) from None
        for warning in report.warnings:
            self.stderr.write(_("warning: %(warning)s") % {"warning": warning})
        for skipped in report.skipped:
            self.stdout.write(
                _("%(source)s: skipped (%(reason)s)") % {"source": skipped.source, "reason": skipped.reason}
            )
        for change in report.changes:
            noun = get_kind(change.kind).model._meta.verbose_name
            if change.action == Action.UNCHANGED:
                self.stdout.write(
                    _("%(kind)s %(id)s: unchanged (v%(version)s) ← %(source)s")
                    % {"kind": noun, "id": change.component_id, "version": change.to_version, "source": change.source}
                )
            else:
                state = _("published") if change.published else _("draft")
                where = f"{state} v{change.to_version}" if change.to_version else state
                self.stdout.write(
                    f"{noun} {change.component_id}: {_done(change.kind, change.action, dry_run)} ({where}) "
                    f"← {change.source}"
                )
                if dry_run:
                    for line in change.diff_lines():
                        self.stdout.write(f"    {line}")
            if change.test_cases is not None:
                counts = ", ".join(_counted(action, n) for action, n in change.test_cases.items())
                label = _("test cases (would be)") if dry_run else _("test cases")
                self.stdout.write(f"    {label}: {counts}")
        summary = ", ".join(_counted(action, report.count(action)) for action in SUMMARY_ACTIONS)
        if dry_run:
            self.stdout.write(_("Dry run: %(summary)s. Nothing was written.") % {"summary": summary})
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Imported %(count)d component: %(summary)s.",
                        "Imported %(count)d components: %(summary)s.",
                        len(report.changes),
                    )
                    % {"count": len(report.changes), "summary": summary}
                )
            )
