"""``manage.py prune_metrics --older-than 90d``: delete old metrics, routing decisions and idempotency records."""

import re
from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common.commands import PortalCommand
from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision
from monitoring.services import metrics_prune

_AGE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w`` → a timedelta; anything else is an error a user can act on."""
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise CommandError(_("--older-than: give an age such as 90d, 12h or 2w, not %(value)r.") % {"value": text})
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _agent_metrics(count: int) -> str:
    return ngettext("%(count)d agent metric", "%(count)d agent metrics", count) % {"count": count}


def _routing_decisions(count: int) -> str:
    return ngettext("%(count)d routing decision", "%(count)d routing decisions", count) % {"count": count}


def _ingestion_batches(count: int) -> str:
    return ngettext("%(count)d ingestion batch", "%(count)d ingestion batches", count) % {"count": count}


# What each model's rows are called, counted (the models' own names are not translated).
_COUNTED = {AgentMetric: _agent_metrics, RoutingDecision: _routing_decisions, IngestionBatch: _ingestion_batches}


class Command(PortalCommand):
    help = gettext_lazy(
        "Delete agent metrics, routing decisions and ingestion idempotency records older than an age, "
        "in batches (one short transaction each), and report how many went."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help=_("Age such as 90d, 12h or 2w."))
        parser.add_argument("--batch-size", type=int, default=10_000, help=_("Rows per delete (default 10000)."))
        parser.add_argument("--dry-run", action="store_true", help=_("Only count what would be deleted."))

    def handle(self, *args, **options):
        age = parse_age(options["older_than"])
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        cutoff = timezone.now() - age
        when = f"{cutoff:%Y-%m-%d %H:%M:%S %Z}"
        if options["dry_run"]:

            def before(model) -> int:
                return model.objects.filter(created_at__lt=cutoff).count()

            self.stdout.write(
                _("Would delete, created before %(when)s: %(metrics)s, %(decisions)s, %(batches)s.")
                % {
                    "when": when,
                    "metrics": _agent_metrics(before(AgentMetric)),
                    "decisions": _routing_decisions(before(RoutingDecision)),
                    "batches": _ingestion_batches(before(IngestionBatch)),
                }
            )
            return

        def progress(model, done):
            if options["verbosity"] >= 2:
                what = _COUNTED[model](done)
                self.stdout.write("  " + _("%(what)s deleted so far") % {"what": what})

        result = metrics_prune(before=cutoff, batch_size=options["batch_size"], progress=progress)
        self.stdout.write(
            _("Deleted, created before %(when)s: %(metrics)s, %(decisions)s, %(batches)s.")
            % {
                "when": when,
                "metrics": _agent_metrics(result.agent_metrics),
                "decisions": _routing_decisions(result.routing_decisions),
                "batches": _ingestion_batches(result.ingestion_batches),
            }
        )
