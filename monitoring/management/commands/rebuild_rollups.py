"""``manage.py rebuild_rollups [--since YYYY-MM-DD] [--until YYYY-MM-DD]``: recompute the dashboards' rollups
from the raw metric rows (after restoring a backup or loading rows by hand; ingestion keeps them current)."""

from datetime import UTC, date, datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.commands import PortalCommand
from monitoring import rollups


def parse_day(text: str, option: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("%(option)s: give a date as YYYY-MM-DD, not %(value)r.") % {"option": option, "value": text}
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class Command(PortalCommand):
    help = gettext_lazy(
        "Recompute the dashboards' hourly and daily rollups from the raw metrics, a UTC day per transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help=_("First UTC day to rebuild (default: the oldest metric's)."))
        parser.add_argument("--until", help=_("Last UTC day to rebuild, inclusive (default: the newest metric's)."))

    def handle(self, *args, **options):
        since = parse_day(options["since"], "--since") if options["since"] else None
        until = parse_day(options["until"], "--until") if options["until"] else None
        if since and until and until < since:
            raise CommandError(_("--until must be on or after --since."))
        if (since is None) != (until is None):
            span = rollups.raw_span()
            if span is None:
                self.stdout.write(_("No metrics or routing decisions: nothing to rebuild."))
                return
            since, until = since or span[0], until or span[1]
        verbosity = options["verbosity"]

        def progress(day):
            if verbosity > 1:
                self.stdout.write(f"  {day:%Y-%m-%d}")

        days = rollups.rebuild(start=since, end=until, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("Rebuilt the rollups of %(count)d day.", "Rebuilt the rollups of %(count)d days.", days)
                % {"count": days}
            )
        )
