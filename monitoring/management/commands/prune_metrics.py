"""``manage.py prune_metrics --older-than 90d``: delete old metrics, routing decisions and idempotency records."""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from monitoring.services import metrics_prune

_AGE = re.compile(r"^\s*(\d+)\s*([dhw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w`` → a timedelta; anything else is an error a user can act on."""
    match = _AGE.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"--older-than: give an age such as 90d, 12h or 2w, not {text!r}.")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Delete agent metrics, routing decisions and ingestion idempotency records older than an age, "
        "in batches (one short transaction each), and report how many went."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="Age such as 90d, 12h or 2w.")
        parser.add_argument("--batch-size", type=int, default=10_000, help="Rows per delete (default 10000).")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, **options):
        age = parse_age(options["older_than"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = timezone.now() - age
        if options["dry_run"]:
            from monitoring.models import AgentMetric, IngestionBatch, RoutingDecision

            counts = [
                (model._meta.verbose_name_plural, model.objects.filter(created_at__lt=cutoff).count())
                for model in (AgentMetric, RoutingDecision, IngestionBatch)
            ]
            self.stdout.write(
                f"Would delete, created before {cutoff:%Y-%m-%d %H:%M:%S %Z}: "
                + ", ".join(f"{n} {name}" for name, n in counts)
                + "."
            )
            return

        def progress(model, done):
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {model._meta.verbose_name_plural}: {done} deleted so far")

        result = metrics_prune(before=cutoff, batch_size=options["batch_size"], progress=progress)
        self.stdout.write(
            f"Deleted, created before {cutoff:%Y-%m-%d %H:%M:%S %Z}: {result.agent_metrics} agent metrics, "
            f"{result.routing_decisions} routing decisions, {result.ingestion_batches} ingestion batches."
        )
