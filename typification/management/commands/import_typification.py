"""``manage.py import_typification FILE [--publish]``: load the typification hierarchy from nested JSON or
CSV into the routing draft; with ``--publish`` the draft is published in the same transaction."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.commands import PortalCommand
from typification.formats import HierarchyFileError, parse
from typification.services import routing_publish, typification_import


class Command(PortalCommand):
    help = gettext_lazy(
        "Import the typification hierarchy from a nested JSON file ({business unit: {product: {motive: "
        "[sub-motive, ...]}}}) or a CSV (level1..level5,business_unit,routing_keywords). Idempotent; "
        "all or nothing: a bad file is reported line by line and nothing is written. The paths go into the "
        "routing draft; --publish also publishes it (production routes by the published routing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("A .json or .csv file."))
        parser.add_argument(
            "--format", choices=["json", "csv"], help=_("Override the format guessed from the file name.")
        )
        parser.add_argument("--replace", action="store_true", help=_("Also delete every path that is not in the file."))
        parser.add_argument("--reason", default="", help=_("Why (recorded in the audit log and the draft)."))
        parser.add_argument(
            "--publish",
            action="store_true",
            help=_(
                "Publish the routing draft after importing, in the same transaction (nothing is written if it "
                "cannot go live, e.g. a route points at an unpublished agent)."
            ),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("%(file)s: cannot be read (%(error)s).") % {"file": path, "error": exc.strerror}
            ) from None
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
            raise CommandError(_("Nothing imported.") + f"\n{exc}") from None
        except (ValidationError, DatabaseError) as exc:
            raise CommandError(_("Nothing imported: %(error)s") % {"error": exc}) from None
        self.stdout.write(
            ngettext(
                "%(file)s: %(count)d path — %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(deleted)d deleted.",
                "%(file)s: %(count)d paths — %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(deleted)d deleted.",
                len(rows),
            )
            % {
                "file": path.name,
                "count": len(rows),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "deleted": result.deleted,
            }
        )
        if published is not None:
            self.stdout.write(
                _("Published routing %(version)s: production routes by it now.") % {"version": published.label}
            )
        elif result.changed:
            self.stdout.write(
                _("The changes are in the routing draft: publish it (admin → Routing, or --publish) to make them live.")
            )
