"""``manage.py import_components PATH... [--publish] [--message TEXT] [--dry-run]``
and ``manage.py import_components --from-agno-db [--agno-schema agno]``."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import cli_actor
from interchange.documents import ConfigFileError, ConfigFileErrors
from interchange.importing import Action, components_import, components_import_agno_db


class Command(BaseCommand):
    help = (
        "Import agent and team files (Automagik Hive config.yaml, the portal's export format, or Agno's own "
        "Agent/Team.to_dict() JSON) as drafts, or publish them with --publish. A folder is searched recursively "
        "for *.yaml/*.yml/*.json. With --from-agno-db, the published agents and teams of Agno's component store "
        "in this database (read only) become drafts. All or nothing: if any file is bad, nothing is written. "
        "Unchanged files make no new version. Test cases in a file (test_cases:) are created or updated by name; "
        "cases a file does not name are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="A YAML/JSON file or a folder.")
        parser.add_argument(
            "--from-agno-db",
            action="store_true",
            help="Read Agno's agno_components/agno_component_configs (published configs) instead of files.",
        )
        parser.add_argument("--agno-schema", default="agno", help="The schema of Agno's tables (default agno).")
        parser.add_argument("--publish", action="store_true", help="Publish what changed (agents before teams).")
        parser.add_argument("--message", "-m", default="", help="Change note recorded on every version and audit row.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change, write nothing.")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        if options["from_agno_db"] == bool(options["paths"]):
            raise CommandError("Give files or folders to import, or --from-agno-db (not both).")
        try:
            if options["from_agno_db"]:
                if options["publish"]:
                    raise CommandError("--from-agno-db imports drafts only: review and publish them in the portal.")
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
            raise CommandError(f"{exc}\nNothing was imported.") from None
        would = "would be " if dry_run else ""
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for skipped in report.skipped:
            self.stdout.write(f"{skipped.source}: skipped ({skipped.reason})")
        for change in report.changes:
            label = f"{change.kind} {change.component_id}"
            if change.action == Action.UNCHANGED:
                self.stdout.write(f"{label}: unchanged (v{change.to_version}) ← {change.source}")
            else:
                state = "published" if change.published else "draft"
                where = f"{state} v{change.to_version}" if change.to_version else state
                self.stdout.write(f"{label}: {would}{change.action} ({where}) ← {change.source}")
                if dry_run:
                    for line in change.diff_lines():
                        self.stdout.write(f"    {line}")
            if change.test_cases is not None:
                counts = ", ".join(f"{n} {action}" for action, n in change.test_cases.items())
                self.stdout.write(f"    test cases{' (would be)' if dry_run else ''}: {counts}")
        summary = ", ".join(
            f"{report.count(action)} {action}" for action in (Action.CREATED, Action.UPDATED, Action.UNCHANGED)
        )
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {len(report.changes)} component(s): {summary}."))
