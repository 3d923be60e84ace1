"""The evaluation runner: builds a version as real Agno objects with the runtime client's own builder and runs
test cases on it through the OpenAI-compatible endpoint of ``HIVE_EVAL_BASE_URL``.

Every model in the document (the component's, its members') keeps its configured id and sampling settings but
is served by that endpoint (a gateway such as LiteLLM or OpenRouter in production, ``hive_portal.fake_llm`` in
tests). Tools never run: each is replaced by a stub that records the call and returns the case's canned
result. Cases run concurrently (``HIVE_EVAL_CONCURRENCY``) in an event loop of their own thread, each bounded
by ``HIVE_EVAL_TIMEOUT``; the caller's thread receives outcomes one by one and stores them (the ORM stays out
of the event loop).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from evaluations.checks import Outcome

# Settings an OpenAI-compatible chat endpoint takes, by the name the document may use.
MODEL_SETTINGS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "stop": "stop",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "max_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
}
MODEL_KEYS = ("model", "reasoning_model", "output_model", "parser_model", "followup_model")
KNOWLEDGE_TOOL = "search_knowledge_base"
JUDGE_INSTRUCTIONS = (
    "You grade a customer-service answer against a rubric. Reply with JSON only: "
    '{"score": <number from 0 to 10>, "reason": "<one or two sentences>"}.'
)


class EvaluatorUnavailable(Exception):
    """No model endpoint is configured (``HIVE_EVAL_BASE_URL``)."""


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key: str
    judge_model: str
    timeout: float
    concurrency: int

    @classmethod
    def from_settings(cls) -> Endpoint:
        if not settings.HIVE_EVAL_BASE_URL:
            raise EvaluatorUnavailable(
                "No evaluation model endpoint: set HIVE_EVAL_BASE_URL (an OpenAI-compatible API) to run test cases."
            )
        return cls(
            base_url=settings.HIVE_EVAL_BASE_URL,
            api_key=settings.HIVE_EVAL_API_KEY or "unused",
            judge_model=settings.HIVE_EVAL_JUDGE_MODEL,
            timeout=settings.HIVE_EVAL_TIMEOUT,
            concurrency=settings.HIVE_EVAL_CONCURRENCY,
        )

    def model_spec(self, spec: Any) -> Any:
        """The document's model spec, served by this endpoint: same id, same sampling settings."""
        if isinstance(spec, str):  # "provider:model_id"
            spec = {"id": spec.split(":", 1)[-1]}
        if not isinstance(spec, dict) or not spec.get("id"):
            return spec
        kept = {MODEL_SETTINGS[k]: v for k, v in spec.items() if k in MODEL_SETTINGS and v is not None}
        return {
            "provider": "OpenAI", "id": spec["id"], "name": "OpenAIChat", **kept, "base_url": self.base_url,
            "api_key": self.api_key, "timeout": self.timeout, "max_retries": 0,
        }  # fmt: skip


@dataclass(frozen=True)
class Job:
    """One case on one version."""

    key: Any  # what the caller uses to store the outcome
    component_type: str
    document: dict
    definition: dict  # EvalCase.definition()


def _eval_document(component_type: str, document: dict, endpoint: Endpoint) -> dict:
    document = copy.deepcopy(document)
    documents = [document]
    if component_type == "team":
        documents.extend((document["metadata"]["hive"].get("components") or {}).get("agents", {}).values())
    for doc in documents:
        for key in MODEL_KEYS:
            if doc.get(key) is not None:
                doc[key] = endpoint.model_spec(doc[key])
    return document


class _Recorder:
    """Canned tool results for one case, and the calls the model made."""

    def __init__(self, canned: dict):
        self.canned = canned or {}
        self.calls: list[dict] = []
        self.lock = threading.Lock()

    def result(self, name: str, arguments: dict) -> str:
        value = self.canned.get(name, f"No recorded result for {name} in this test case.")
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        with self.lock:
            self.calls.append({"name": name, "arguments": arguments, "result": text})
        return text

    def function(self, tool: dict):
        from agno.tools.function import Function

        name = tool["name"]
        return Function(
            name=name,
            description=tool.get("description"),
            parameters=tool.get("parameters") or {"type": "object", "properties": {}},
            entrypoint=lambda **arguments: self.result(name, arguments),
            skip_entrypoint_processing=True,
        )


class CannedKnowledge:
    """The knowledge a document names, answering from the case's canned ``search_knowledge_base`` result
    (Agno's ``KnowledgeProtocol``)."""

    def __init__(self, name: str, recorder: _Recorder):
        self.name = name
        self.recorder = recorder

    def build_context(self, **kwargs: Any) -> str:
        return f"Search the knowledge base with {KNOWLEDGE_TOOL} before answering factual questions."

    def search_knowledge_base(self, query: str) -> str:
        """Search the knowledge base for answers to the customer's question."""
        return self.recorder.result(KNOWLEDGE_TOOL, {"query": query})

    def get_tools(self, **kwargs: Any) -> list[Callable]:
        return [self.search_knowledge_base]

    async def aget_tools(self, **kwargs: Any) -> list[Callable]:
        return self.get_tools()

    def retrieve(self, query: str, **kwargs: Any) -> list:
        """What Agno's own ``search_knowledge_base`` tool calls: the canned result as one document."""
        from agno.knowledge.document import Document

        return [Document(content=self.recorder.result(KNOWLEDGE_TOOL, {"query": query}))]


def _tools_of(document: dict, component_type: str) -> list[dict]:
    tools = list(document.get("tools") or [])
    if component_type == "team":
        for member in ((document["metadata"]["hive"].get("components") or {}).get("agents") or {}).values():
            tools.extend(member.get("tools") or [])
    return tools


def _knowledge_names(document: dict, component_type: str) -> set[str]:
    documents = [document]
    if component_type == "team":
        documents.extend(((document["metadata"]["hive"].get("components") or {}).get("agents") or {}).values())
    return {d["knowledge"]["name"] for d in documents if isinstance(d.get("knowledge"), dict)}


def build(job: Job, endpoint: Endpoint, recorder: _Recorder):
    """The job's agent or team as real Agno objects, with stubbed tools and canned knowledge."""
    from hive_portal_client import AgnoBuilder

    document = _eval_document(job.component_type, job.document, endpoint)
    stubs = {t["name"]: recorder.function(t) for t in _tools_of(document, job.component_type)}
    knowledge = [CannedKnowledge(name, recorder) for name in _knowledge_names(document, job.component_type)]
    builder = AgnoBuilder(tools=list(stubs.values()), knowledge=knowledge)
    if job.component_type == "team":
        return builder.build_team(document)
    return builder.build_agent(document, standalone=True)


def _messages(definition: dict) -> Any:
    context = definition.get("context") or []
    if not context:
        return definition["message"]
    from agno.models.message import Message

    return [
        *(Message(role=m["role"], content=m["content"]) for m in context),
        Message(role="user", content=definition["message"]),
    ]


def _route(output: Any) -> str:
    for member in getattr(output, "member_responses", None) or []:
        member_id = getattr(member, "agent_id", None) or getattr(member, "team_id", None)
        if member_id:
            return member_id
    return ""


def _tokens(output: Any) -> tuple[int, int]:
    totals = [0, 0]
    for run in [output, *(getattr(output, "member_responses", None) or [])]:
        metrics = getattr(run, "metrics", None)
        if metrics is not None:
            totals[0] += metrics.input_tokens or 0
            totals[1] += metrics.output_tokens or 0
    return totals[0], totals[1]


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if hasattr(content, "model_dump_json"):
        return content.model_dump_json()
    return json.dumps(content, ensure_ascii=False, default=str)


async def _judge(definition: dict, output: str, endpoint: Endpoint) -> tuple[float | None, str, int, int]:
    from agno.agent import Agent
    from agno.models.openai import OpenAIChat

    judge = Agent(
        id="hive-eval-judge",
        model=OpenAIChat(
            id=endpoint.judge_model,
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            timeout=endpoint.timeout,
            max_retries=0,
            temperature=0,
        ),  # fmt: skip
        instructions=JUDGE_INSTRUCTIONS,
        telemetry=False,
    )
    prompt = f"Rubric:\n{definition['judge_rubric']}\n\nCustomer message:\n{definition['message']}\n\nAnswer:\n{output}"
    try:
        result = await judge.arun(prompt)
    finally:
        await _close_clients(judge)
    if _failed(result):
        raise RuntimeError(f"the judge model failed: {_text(result.content)[:300]}")
    text = _text(result.content)
    match = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        verdict = json.loads(match.group(0) if match else text)
        score = float(verdict["score"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"the judge's reply is not a score: {text[:200]!r}") from exc
    input_tokens, output_tokens = _tokens(result)
    return max(0.0, min(10.0, score)), str(verdict.get("reason", ""))[:2000], input_tokens, output_tokens


def _failed(output: Any) -> bool:
    status = getattr(output, "status", None)
    return getattr(status, "value", status) == "ERROR" or str(getattr(status, "value", status)).lower() == "error"


async def _run_one(job: Job, endpoint: Endpoint, in_flight: list[int]) -> Outcome:
    recorder = _Recorder(job.definition.get("tool_results") or {})
    started = time.perf_counter()
    in_flight[0] += 1
    in_flight[1] = max(in_flight[1], in_flight[0])
    component = None
    try:
        component = build(job, endpoint, recorder)
        output = await asyncio.wait_for(component.arun(_messages(job.definition)), timeout=endpoint.timeout)
        text = _text(output.content)
        if _failed(output):
            return Outcome(error=f"the model failed: {text[:500]}", latency_ms=_ms(started))
        input_tokens, output_tokens = _tokens(output)
        outcome = Outcome(
            output=text, route=_route(output), tool_calls=list(recorder.calls), input_tokens=input_tokens,
            output_tokens=output_tokens, latency_ms=_ms(started),
        )  # fmt: skip
        if job.definition.get("judge_rubric"):
            if not endpoint.judge_model:
                raise RuntimeError("the case has a rubric but HIVE_EVAL_JUDGE_MODEL is not set")
            score, reason, judge_in, judge_out = await asyncio.wait_for(
                _judge(job.definition, text, endpoint), timeout=endpoint.timeout
            )
            outcome.judge_score, outcome.judge_reason = score, reason
            outcome.input_tokens += judge_in
            outcome.output_tokens += judge_out
        return outcome
    except TimeoutError:
        return Outcome(error=f"no answer within {endpoint.timeout:g} s", latency_ms=_ms(started))
    except Exception as exc:  # noqa: BLE001 - any failure of a case is that case's evaluator error (fails closed)
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:1000], latency_ms=_ms(started))
    finally:
        in_flight[0] -= 1
        await _close_clients(component)


async def _close_clients(component: Any) -> None:
    """Close the HTTP clients the case's models opened, inside the loop that opened them (left to the garbage
    collector, they try to close after the loop has gone)."""
    parts = [component, *(getattr(component, "members", None) or [])] if component is not None else []
    for part in parts:
        client = getattr(getattr(part, "model", None), "async_client", None)
        if client is not None:
            try:
                await client.close()
            except Exception:  # noqa: BLE001 - closing is best effort; the result is already taken
                pass


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


@dataclass
class RunStats:
    max_in_flight: int = 0
    wall_ms: int = 0


def run_jobs(jobs: list[Job], endpoint: Endpoint, stats: RunStats | None = None) -> Iterator[tuple[Any, Outcome]]:
    """Run ``jobs`` concurrently; yield ``(job.key, outcome)`` in the caller's thread as each finishes."""
    os.environ.setdefault("AGNO_TELEMETRY", "false")
    finished: queue.Queue = queue.Queue()
    in_flight = [0, 0]
    started = time.perf_counter()

    async def main() -> None:
        limit = asyncio.Semaphore(max(1, endpoint.concurrency))

        async def one(job: Job) -> None:
            async with limit:
                finished.put((job.key, await _run_one(job, endpoint, in_flight)))

        await asyncio.gather(*(one(job) for job in jobs))

    def loop() -> None:
        try:
            asyncio.run(main())
        finally:
            finished.put(None)

    thread = threading.Thread(target=loop, name="hive-eval-runner", daemon=True)
    thread.start()
    while (item := finished.get()) is not None:
        yield item
    thread.join()
    if stats is not None:
        stats.max_in_flight = in_flight[1]
        stats.wall_ms = _ms(started)
