"""``manage.py import_components PATH... [--publish] [--message TEXT] [--dry-run]``."""

from django.core.management.base import BaseCommand, CommandError

from versioning.importing import Action, components_import
from versioning.management.commands._cli import cli_actor
from versioning.yaml_io import ConfigFileError, ConfigFileErrors


class Command(BaseCommand):
    help = (
        "Import agent and team YAML files (Automagik Hive config.yaml or the portal's export format) as "
        "drafts, or publish them with --publish. A folder is searched recursively for *.yaml/*.yml. "
        "All or nothing: if any file is bad, nothing is written. Unchanged files make no new version."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="A YAML file or a folder.")
        parser.add_argument("--publish", action="store_true", help="Publish what changed (agents before teams).")
        parser.add_argument("--message", "-m", default="", help="Change note recorded on every version and audit row.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change, write nothing.")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        try:
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
                continue
            state = "published" if change.published else "draft"
            where = f"{state} v{change.to_version}" if change.to_version else state
            self.stdout.write(f"{label}: {would}{change.action} ({where}) ← {change.source}")
            if dry_run:
                for line in change.diff_lines():
                    self.stdout.write(f"    {line}")
        summary = ", ".join(
            f"{report.count(action)} {action}" for action in (Action.CREATED, Action.UPDATED, Action.UNCHANGED)
        )
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {len(report.changes)} component(s): {summary}."))
