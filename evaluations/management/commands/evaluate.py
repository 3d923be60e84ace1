"""``manage.py evaluate team customer-service-router``: run a component's test cases on its draft (or --candidate
VERSION) and the live version here, in the foreground, and print case by case what differs — for CI and for
trying cases without the admin. Exits 1 when the gate would refuse the candidate."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.services import cli_actor
from common.commands import PortalCommand
from evaluations import selectors
from evaluations.models import RunState
from evaluations.services import evaluation_execute, evaluation_request
from versioning.selectors import component_version


def _status_words() -> dict[str, str]:
    """A case's status against the baseline (``selectors.CaseComparison.status``) as a word for people."""
    return {
        selectors.REGRESSION: _("regression"),
        selectors.STILL_FAILING: _("failing"),
        selectors.MISSING: _("not run"),
        selectors.FIXED: _("fixed"),
        selectors.PASSING: _("passing"),
    }


class Command(PortalCommand):
    help = gettext_lazy("Run an agent's or team's test cases on its draft (or --candidate) against the live version.")

    def add_arguments(self, parser):
        parser.add_argument("component_type", choices=["agent", "team"])
        parser.add_argument("component_id")
        parser.add_argument(
            "--candidate", type=int, metavar="VERSION", help=_("The candidate version (default: the open draft).")
        )
        parser.add_argument("--baseline", type=int, help=_("The version to compare with (default: the live one)."))
        parser.add_argument("--environment", help=_("Members and the live version as this environment serves them."))

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
            raise CommandError(_("The evaluation failed: %(error)s") % {"error": run.error})
        candidate_row = component_version(component_type, component_id, run.candidate_version)
        live = component_version(component_type, component_id, run.baseline_version) if run.baseline_version else None
        found = selectors.comparison(component_type, component_id, candidate_row, live, environment)
        figures = {
            "id": component_id,
            "candidate": run.candidate_version,
            "baseline": run.baseline_version,
            "completed": run.completed,
            "reused": run.reused,
            "parallel": run.max_in_flight,
        }
        if run.baseline_version:
            header = ngettext(
                "%(id)s v%(candidate)s against v%(baseline)s: %(completed)d case run, %(reused)d reused, "
                "at most %(parallel)d at once.",
                "%(id)s v%(candidate)s against v%(baseline)s: %(completed)d case runs, %(reused)d reused, "
                "at most %(parallel)d at once.",
                run.completed,
            )
        else:
            header = ngettext(
                "%(id)s v%(candidate)s: %(completed)d case run, %(reused)d reused, at most %(parallel)d at once.",
                "%(id)s v%(candidate)s: %(completed)d case runs, %(reused)d reused, at most %(parallel)d at once.",
                run.completed,
            )
        self.stdout.write(header % figures)
        words = _status_words()
        width = max(len(word) for word in words.values())
        critical = f" ({_('critical')})"
        for row in found.rows:
            result = row.candidate
            detail = "; ".join(result.failures) if result is not None and result.failures else ""
            self.stdout.write(f"  {words[row.status]:<{width}} {row.case.name}{critical if row.case.critical else ''}"
                              + (f": {detail}" if detail else ""))  # fmt: skip
        problems = found.problems()
        if problems:
            for problem in problems:
                self.stderr.write(_("REFUSED: %(problem)s") % {"problem": problem})
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(_("The gate lets this version through.")))
