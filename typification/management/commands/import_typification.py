"""``manage.py import_typification FILE [--publish]``: load the typification hierarchy from nested JSON or
CSV into the routing draft; with ``--publish`` the draft is published in the same transaction."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from typification.formats import HierarchyFileError, parse
from typification.services import routing_publish, typification_import


class Command(BaseCommand):
    help = (
        "Import the typification hierarchy from a nested JSON file ({business unit: {product: {motive: "
        "[sub-motive, ...]}}}) or a CSV (level1..level5,business_unit,routing_keywords). Idempotent; "
        "all or nothing: a bad file is reported line by line and nothing is written. The paths go into the "
        "routing draft; --publish also publishes it (production routes by the published routing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .json or .csv file.")
        parser.add_argument("--format", choices=["json", "csv"], help="Override the format guessed from the file name.")
        parser.add_argument("--replace", action="store_true", help="Also delete every path that is not in the file.")
        parser.add_argument("--reason", default="", help="Why (recorded in the audit log and the draft).")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the routing draft after importing, in the same transaction (nothing is written if it "
            "cannot go live, e.g. a route points at an unpublished agent).",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from None
        try:
            rows = parse(data, source=str(path), fmt=options["format"])
            with transaction.atomic():
                result = typification_import(
                    rows=rows,
                    source_name=path.name,
                    actor=None,
                    replace=options["replace"],
                    reason=options["reason"],
                )
                published = routing_publish(actor=None, note=options["reason"]) if options["publish"] else None
        except HierarchyFileError as exc:
            raise CommandError(f"Nothing imported.\n{exc}") from None
        except (ValidationError, DatabaseError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        self.stdout.write(
            f"{path.name}: {len(rows)} paths — {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deleted} deleted."
        )
        if published is not None:
            self.stdout.write(f"Published routing {published.label}: production routes by it now.")
        elif result.changed:
            self.stdout.write(
                "The changes are in the routing draft: publish it (admin → Routing, or --publish) to make them live."
            )
