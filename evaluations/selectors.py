"""What the evaluation pages and the gate read: the component as it would be served, and how a candidate
compares with its baseline case by case."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext

from agents.models import Agent
from common import agno_documents
from common.hashing import canonical_hash
from evaluations.models import EvalCase, EvalResult, EvalRun, EvalSuite
from versioning.models import ComponentVersion, first_environment
from versioning.selectors import live_versions


@dataclass
class Subject:
    """A version as the runtime would build it in ``environment``: its document and its fingerprint (a team's
    includes its members' versions, since they decide what the team answers)."""

    version: ComponentVersion
    document: dict
    fingerprint: str


def subject(component_type: str, version: ComponentVersion, environment: str | None = None) -> Subject:
    hive = {"version": version.version, "content_hash": version.content_hash, "evaluation": True}
    if component_type == "agent":
        document = agno_documents.agent_document(version.config, hive)
        return Subject(version, document, canonical_hash({"agent": version.config}))
    environment = environment or first_environment()
    member_ids = [m["agent_id"] for m in sorted(version.config.get("members", []), key=lambda m: m["position"])]
    active = set(Agent.objects.filter(agent_id__in=member_ids, is_active=True).values_list("agent_id", flat=True))
    rows = {r.component_id: r for r in live_versions("agent", environment, member_ids) if r.component_id in active}
    served = [agent_id for agent_id in member_ids if agent_id in rows]
    members = {
        agent_id: agno_documents.agent_document(rows[agent_id].config, {"version": rows[agent_id].version})
        for agent_id in served
    }
    document = agno_documents.team_document(version.config, hive, served, members)
    fingerprint = canonical_hash(
        {"team": version.config, "members": {agent_id: rows[agent_id].content_hash for agent_id in served}}
    )
    return Subject(version, document, fingerprint)


def active_cases(component_type: str, component_id: str) -> QuerySet[EvalCase]:
    return EvalCase.objects.filter(component_type=component_type, component_id=component_id, is_active=True)


NAME_LENGTH = 60  # a name read in a list; the message itself is on the case


def free_case_name(component_type: str, component_id: str, text: str) -> str:
    """A name for a new case of the component taken from ``text`` (a customer's message): its first words
    on one line, cut at a word near ``NAME_LENGTH`` characters, with the first free “ (2)”, “ (3)”… when
    the component already has a case of that name."""
    words = " ".join(text.split()) or "Test case"
    if len(words) > NAME_LENGTH:
        cut = words[: NAME_LENGTH - 1]
        words = (cut.rsplit(" ", 1)[0] if " " in cut[NAME_LENGTH // 2 :] else cut).rstrip(" ,.;:") + "…"
    taken = set(
        EvalCase.objects.filter(
            component_type=component_type, component_id=component_id, name__startswith=words
        ).values_list("name", flat=True)
    )
    name, number = words, 1
    while name in taken:
        number += 1
        name = f"{words} ({number})"
    return name


def min_pass_rate(component_type: str, component_id: str) -> int:
    suite = EvalSuite.objects.filter(component_type=component_type, component_id=component_id).first()
    return suite.min_pass_rate if suite is not None else settings.HIVE_EVAL_MIN_PASS_RATE


def results_for(cases, fingerprint: str) -> dict[int, EvalResult]:
    """The result of each case (as written now) on the subject with ``fingerprint``, by case id."""
    wanted = {case.pk: case.fingerprint for case in cases}
    rows = EvalResult.objects.filter(case_id__in=list(wanted), subject_fingerprint=fingerprint)
    return {r.case_id: r for r in rows if wanted.get(r.case_id) == r.case_fingerprint}


REGRESSION, STILL_FAILING, MISSING, FIXED, PASSING = "regression", "failing", "missing", "fixed", "passing"
STATUS_ORDER = {REGRESSION: 0, STILL_FAILING: 1, MISSING: 2, FIXED: 3, PASSING: 4}


@dataclass
class CaseComparison:
    case: EvalCase
    candidate: EvalResult | None
    baseline: EvalResult | None

    @property
    def status(self) -> str:
        if self.candidate is None:
            return MISSING
        if self.candidate.passed:
            return FIXED if self.baseline is not None and not self.baseline.passed else PASSING
        return REGRESSION if self.baseline is not None and self.baseline.passed else STILL_FAILING


@dataclass
class Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    passed: int = 0
    ran: int = 0

    def add(self, result: EvalResult | None) -> None:
        if result is None:
            return
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        self.latency_ms += result.latency_ms
        self.passed += int(result.passed)
        self.ran += 1


@dataclass
class Comparison:
    """A candidate against its baseline over the component's active cases, regressions first."""

    component_type: str
    component_id: str
    candidate: Subject
    baseline: Subject | None
    rows: list[CaseComparison]
    min_pass_rate: int
    candidate_totals: Totals = field(default_factory=Totals)
    baseline_totals: Totals = field(default_factory=Totals)

    @property
    def pass_rate(self) -> float | None:
        ran = self.candidate_totals.ran
        return None if not self.rows or ran < len(self.rows) else 100.0 * self.candidate_totals.passed / ran

    @property
    def complete(self) -> bool:
        baseline_done = self.baseline is None or all(r.baseline is not None for r in self.rows)
        return all(r.candidate is not None for r in self.rows) and baseline_done

    def problems(self) -> list[str]:
        """Why the candidate may not go live (empty: the gate lets it through)."""
        if not self.rows:
            return []
        found = []
        if not self.complete:
            missing = sum((r.candidate is None) + (self.baseline is not None and r.baseline is None) for r in self.rows)
            found.append(
                ngettext(
                    "%(count)d case run has not been evaluated yet: run the evaluation first.",
                    "%(count)d case runs have not been evaluated yet: run the evaluation first.",
                    missing,
                )
                % {"count": missing}
            )
        for row in self.rows:
            result = row.candidate
            if result is None or result.passed:
                continue
            if result.error:
                found.append(
                    gettext("“%(case)s”: the evaluator failed (%(error)s).")
                    % {"case": row.case.name, "error": result.error[:200]}
                )
            elif row.case.critical:
                found.append(
                    gettext("Critical case “%(case)s” fails: %(failures)s")
                    % {"case": row.case.name, "failures": " ".join(result.failures)}
                )
            elif row.status == REGRESSION:
                found.append(
                    gettext("“%(case)s” passes on the live version and fails on this one.") % {"case": row.case.name}
                )
        rate = self.pass_rate
        if rate is not None and rate < self.min_pass_rate:
            found.append(
                gettext("%(rate)s%% of the cases pass; this component needs %(minimum)s%%.")
                % {"rate": f"{rate:.0f}", "minimum": self.min_pass_rate}
            )
        return found

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return {
            "cases": len(self.rows),
            "candidate_version": self.candidate.version.version,
            "baseline_version": self.baseline.version.version if self.baseline else None,
            "candidate_fingerprint": self.candidate.fingerprint,
            "baseline_fingerprint": self.baseline.fingerprint if self.baseline else None,
            "pass_rate": self.pass_rate,
            "min_pass_rate": self.min_pass_rate,
            "statuses": counts,
            "problems": self.problems(),
        }


def comparison(
    component_type: str,
    component_id: str,
    candidate: ComponentVersion,
    baseline: ComponentVersion | None,
    environment: str | None = None,
) -> Comparison:
    cases = list(active_cases(component_type, component_id))
    candidate_subject = subject(component_type, candidate, environment)
    baseline_subject = subject(component_type, baseline, environment) if baseline is not None else None
    candidate_results = results_for(cases, candidate_subject.fingerprint)
    baseline_results = results_for(cases, baseline_subject.fingerprint) if baseline_subject else {}
    rows = [CaseComparison(case, candidate_results.get(case.pk), baseline_results.get(case.pk)) for case in cases]
    rows.sort(key=lambda r: (STATUS_ORDER[r.status], not r.case.critical, r.case.name))
    found = Comparison(
        component_type, component_id, candidate_subject, baseline_subject, rows,
        min_pass_rate(component_type, component_id),
    )  # fmt: skip
    for row in rows:
        found.candidate_totals.add(row.candidate)
        found.baseline_totals.add(row.baseline)
    return found


def latest_run(component_type: str, component_id: str, candidate_fingerprint: str) -> EvalRun | None:
    return (
        EvalRun.objects.filter(
            component_type=component_type, component_id=component_id, candidate_fingerprint=candidate_fingerprint
        )
        .order_by("-created_at", "-id")
        .first()
    )


def component_cases(component_type: str, component_id: str) -> QuerySet[EvalCase]:
    return EvalCase.objects.filter(component_type=component_type, component_id=component_id)
