"""Benchmark of an evaluation run (issue 14: 50 cases × 2 versions in ≤ 60 s at 300 ms per model call).

Starts its own embedded PostgreSQL, migrates, loads the demo, and gives the demo's route team ``--cases`` test
cases. A local OpenAI-compatible server (``hive_portal.fake_llm``) answers every call after ``--latency``
seconds — the leader's routing call, then the member's answer: two calls per case run. The team's draft and
its live version are then evaluated by ``evaluations.services.evaluation_execute`` (real Agno objects, the
runner's event loop, results stored as they arrive) at ``HIVE_EVAL_CONCURRENCY`` = ``--concurrency``.

Baseline, measured in the same run: the same evaluation with one case at a time, on ``--baseline-cases`` cases,
scaled to the full count (what a sequential runner would take). Printed: wall time, the concurrency reached,
model calls, and the ratios to the baseline and to the 60-second target.

    .venv/bin/python bench/evals.py [--cases 50] [--latency 0.3] [--concurrency 8] [--baseline-cases 5]
"""

from __future__ import annotations

import argparse
import os
import time
from io import StringIO

from harness import embedded_django

TARGET_S = 60.0
TEAM = "customer-service-router"


def _script(llm) -> None:
    llm.add_rule(system=r"Nunca peça a senha do cartão", reply="Bloqueei o cartão final 1234.")
    llm.add_rule(system=r"custo efetivo total", reply="Consulte o CET no app.")
    llm.add_rule(system=r"MED em até 80 dias", reply="Registre o MED em até 80 dias.")
    for word, member in (("cart", "cards-specialist"), ("pix", "pix-specialist"), ("empr", "credit-specialist")):
        llm.add_rule(
            system=r"<member id=", user=word,
            tool_call=("delegate_task_to_member", {"member_id": member, "task": "Atenda o cliente."}),
        )  # fmt: skip


def _cases(count: int, prefix: str) -> None:
    from evaluations.services import case_create

    topics = [
        ("Perdi meu cartão", "cards-specialist", "cartão"),
        ("Meu pix não caiu", "pix-specialist", "MED"),
        ("Quero um empréstimo", "credit-specialist", "CET"),
    ]
    for number in range(count):
        message, member, text = topics[number % len(topics)]
        case_create(
            actor="bench", component_type="team", component_id=TEAM, name=f"{prefix} {number:03d}",
            message=f"{message} (caso {number})", expected_member=member, must_contain=[text],
        )  # fmt: skip


def _new_draft(note: str) -> None:
    from teams.models import Team
    from teams.services import team_update

    team = Team.objects.get(team_id=TEAM)
    team_update(team=team, actor="bench", note=note, instructions=[*team.instructions, note])


def _evaluate(concurrency: int) -> tuple[float, object]:
    from django.conf import settings

    from evaluations.services import evaluation_execute, evaluation_request

    settings.HIVE_EVAL_CONCURRENCY = concurrency
    run = evaluation_request(component_type="team", component_id=TEAM, actor="bench")
    start = time.perf_counter()
    run = evaluation_execute(run_id=run.pk)
    return time.perf_counter() - start, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--baseline-cases", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("AGNO_TELEMETRY", "false")
    with embedded_django("bench_evals"):
        from django.conf import settings
        from django.core.management import call_command

        from evaluations.models import EvalCase
        from hive_portal.demo import load_demo
        from hive_portal.fake_llm import FakeLLM

        call_command("migrate", verbosity=0)
        load_demo(StringIO())
        with FakeLLM(latency=args.latency) as llm:
            _script(llm)
            settings.HIVE_EVAL_BASE_URL = llm.url + "/v1"
            settings.HIVE_EVAL_TIMEOUT = 120

            # Baseline: one case at a time, on a few cases, scaled to the full count.
            _cases(args.baseline_cases, "baseline")
            _new_draft("Baseline draft.")
            llm.reset_stats()
            baseline_s, baseline_run = _evaluate(concurrency=1)
            assert baseline_run.state == "done", baseline_run.error
            sequential_s = baseline_s * args.cases / args.baseline_cases
            EvalCase.objects.filter(name__startswith="baseline").delete()

            _cases(args.cases, "case")
            _new_draft("Measured draft.")
            llm.reset_stats()
            wall_s, run = _evaluate(concurrency=args.concurrency)
            assert run.state == "done", run.error
            calls, in_flight = llm.calls, llm.max_in_flight
    ideal_s = max(calls * args.latency / args.concurrency, 1e-9)
    print(f"Evaluation of {args.cases} cases × 2 versions ({run.completed} case runs, {calls} model calls at "
          f"{args.latency * 1000:.0f} ms each), concurrency {args.concurrency}:")  # fmt: skip
    print(f"  wall time            {wall_s:7.2f} s   ({wall_s / TARGET_S:.2f}× the {TARGET_S:.0f} s target)")
    print(f"  case runs at once    {run.max_in_flight:7d}     (model calls in flight at most: {in_flight})")
    print(
        f"  ideal at that width  {ideal_s:7.2f} s   (calls × latency ÷ concurrency; overhead {wall_s / ideal_s:.2f}×)"
    )
    print(f"  baseline, sequential {sequential_s:7.2f} s   ({args.baseline_cases} cases one at a time: "
          f"{baseline_s:.2f} s, scaled)")  # fmt: skip
    print(f"  ratio to baseline    {wall_s / sequential_s:7.2f}×")
    print(f"  target ≤ {TARGET_S:.0f} s: {'met' if wall_s <= TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
