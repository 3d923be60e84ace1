"""``manage.py export_typification [FILE]``: write the typification hierarchy as nested JSON or CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from typification.formats import to_csv, to_json
from typification.selectors import typification_rows


class Command(BaseCommand):
    help = (
        "Export the typification hierarchy. CSV keeps everything (levels, business unit, keywords); the "
        "nested JSON form keeps the paths only, as PagBank's hierarchy file does."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="A .json or .csv file; standard output when left out.")
        parser.add_argument("--format", choices=["json", "csv"], help="Default: from the file name, else csv.")

    def handle(self, *args, **options):
        target = options["file"]
        fmt = options["format"]
        if fmt is None:
            fmt = "json" if target and target.lower().endswith(".json") else "csv"
        rows = typification_rows()
        text = to_json(rows) if fmt == "json" else to_csv(rows)
        if not target or target == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{target}: cannot be written ({exc.strerror}).") from None
        self.stderr.write(f"{len(rows)} paths written to {target} ({fmt}).")
