"""``manage.py import_typification FILE``: load the typification hierarchy from nested JSON or CSV."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from typification.formats import HierarchyFileError, parse
from typification.services import typification_import


class Command(BaseCommand):
    help = (
        "Import the typification hierarchy from a nested JSON file ({business unit: {product: {motive: "
        "[sub-motive, ...]}}}) or a CSV (level1..level5,business_unit,routing_keywords). Idempotent; "
        "all or nothing: a bad file is reported line by line and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .json or .csv file.")
        parser.add_argument(
            "--format", choices=["json", "csv"], help="Override the format guessed from the file name."
        )
        parser.add_argument(
            "--replace", action="store_true", help="Also delete every path that is not in the file."
        )
        parser.add_argument("--reason", default="", help="Why (recorded in the audit log).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from None
        try:
            rows = parse(data, source=str(path), fmt=options["format"])
            result = typification_import(
                rows=rows,
                source_name=path.name,
                actor=None,
                replace=options["replace"],
                reason=options["reason"],
            )
        except HierarchyFileError as exc:
            raise CommandError(f"Nothing imported.\n{exc}") from None
        except (ValidationError, DatabaseError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        self.stdout.write(
            f"{path.name}: {len(rows)} paths — {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deleted} deleted."
        )
