"""``manage.py export_components DIR [--published]``."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.commands import PortalCommand
from interchange.importing import components_export
from versioning.components import get_kind


def _status_word(status: str) -> str:
    """An exported file's status (a version's, or the working copy's) as a word for people."""
    words = {"draft": _("draft"), "published": _("published"), "working copy": _("working copy")}
    return words.get(status, status)


class Command(PortalCommand):
    help = gettext_lazy(
        "Write every agent and team as DIR/agents/<id>.yaml and DIR/teams/<id>.yaml in the portal's format "
        "(the open draft, else the published version), or with --format agno as Agno's own serialized "
        "components (<id>.json). import_components reads either back unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument(
            "--published", action="store_true", help=_("Export published versions only (skip never-published).")
        )
        parser.add_argument(
            "--format",
            choices=("yaml", "agno"),
            default="yaml",
            help=_("yaml: the portal's format (default); agno: Agno's own Agent/Team.to_dict() JSON, <id>.json."),
        )

    def handle(self, *args, **options):
        directory = options["directory"]
        try:
            files = components_export(
                directory=directory, published_only=options["published"], format=options["format"]
            )
        except OSError as exc:
            raise CommandError(
                _("%(folder)s: cannot write (%(error)s).") % {"folder": directory, "error": exc.strerror or exc}
            ) from None
        for item in files:
            status = _status_word(item.status)
            version = f"v{item.version} {status}" if item.version else status
            noun = get_kind(item.kind).model._meta.verbose_name
            self.stdout.write(f"{noun} {item.component_id} ({version}) → {item.path}")
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Exported %(count)d component to %(folder)s.",
                    "Exported %(count)d components to %(folder)s.",
                    len(files),
                )
                % {"count": len(files), "folder": directory}
            )
        )
