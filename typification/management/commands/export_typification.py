"""``manage.py export_typification [FILE]``: write the typification hierarchy as nested JSON or CSV."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.commands import PortalCommand
from typification.formats import to_csv, to_json
from typification.selectors import typification_rows


class Command(PortalCommand):
    help = gettext_lazy(
        "Export the typification hierarchy. CSV keeps everything (levels, business unit, keywords); the "
        "nested JSON form keeps the paths only, as PagBank's hierarchy file does."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_("A .json or .csv file; standard output when left out."))
        parser.add_argument("--format", choices=["json", "csv"], help=_("Default: from the file name, else csv."))

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
            raise CommandError(
                _("%(file)s: cannot be written (%(error)s).") % {"file": target, "error": exc.strerror}
            ) from None
        self.stderr.write(
            ngettext(
                "%(count)d path written to %(file)s (%(format)s).",
                "%(count)d paths written to %(file)s (%(format)s).",
                len(rows),
            )
            % {"count": len(rows), "file": target, "format": fmt}
        )
