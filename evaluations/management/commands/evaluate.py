"""``manage.py evaluate team customer-service-router``: run a component's test cases on its draft (or --candidate
VERSION) and the live version here, in the foreground, and print case by case what differs — for CI and for
trying cases without the admin. Exits 1 when the gate would refuse the candidate."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.services import cli_actor
from evaluations import selectors
from evaluations.models import RunState
from evaluations.services import evaluation_execute, evaluation_request
from versioning.selectors import component_version


class Command(BaseCommand):
    help = "Run an agent's or team's test cases on its draft (or --candidate) against the live version."

    def add_arguments(self, parser):
        parser.add_argument("component_type", choices=["agent", "team"])
        parser.add_argument("component_id")
        parser.add_argument(
            "--candidate", type=int, metavar="VERSION", help="The candidate version (default: the open draft)."
        )
        parser.add_argument("--baseline", type=int, help="The version to compare with (default: the live one).")
        parser.add_argument("--environment", help="Members and the live version as this environment serves them.")

    def handle(self, *args, component_type, component_id, candidate, baseline, environment, **options):
        try:
            run = evaluation_request(
                component_type=component_type, component_id=component_id, actor=cli_actor(),
                candidate_version=candidate, baseline_version=baseline, environment=environment,
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if run.state == RunState.QUEUED:
            # Run it here; the queued job then finds the run taken and does nothing.
            run = evaluation_execute(run_id=run.pk, environment=environment)
        if run.state == RunState.FAILED:
            raise CommandError(f"The evaluation failed: {run.error}")
        candidate_row = component_version(component_type, component_id, run.candidate_version)
        live = component_version(component_type, component_id, run.baseline_version) if run.baseline_version else None
        found = selectors.comparison(component_type, component_id, candidate_row, live, environment)
        self.stdout.write(
            f"{component_id} v{run.candidate_version}"
            + (f" against v{run.baseline_version}" if run.baseline_version else "")
            + f": {run.completed} case run(s), {run.reused} reused, at most {run.max_in_flight} at once."
        )
        for row in found.rows:
            result = row.candidate
            detail = "; ".join(result.failures) if result is not None and result.failures else ""
            self.stdout.write(f"  {row.status:<10} {row.case.name}{' (critical)' if row.case.critical else ''}"
                              + (f": {detail}" if detail else ""))  # fmt: skip
        problems = found.problems()
        if problems:
            for problem in problems:
                self.stderr.write(f"REFUSED: {problem}")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The gate lets this version through."))
