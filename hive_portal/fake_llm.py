"""A local, scriptable, OpenAI-compatible Chat Completions server for offline tests and benchmarks.

Real Agno agents and teams (``agno.models.openai.OpenAIChat``) talk to it over HTTP on 127.0.0.1 exactly as they
would talk to OpenAI, so a test exercises Agno's own prompt building, tool calling, team delegation, streaming,
metrics and error handling, with answers the test scripts in advance. Nothing leaves the machine.

Standard library only: a ``ThreadingHTTPServer`` in a daemon thread, one handler thread per connection, so
requests served at the same time overlap (``latency`` and a rule's ``delay`` are slept in the handler thread,
which is what a benchmark of concurrent evaluations needs).

Usage::

    from agno.agent import Agent
    from agno.models.openai import OpenAIChat

    from hive_portal.fake_llm import FakeLLM

    def get_balance(account: str) -> str:
        return "10 reais"  # Agno offers it to the model as a tool named "get_balance"

    with FakeLLM(latency=0.0, default_reply="ok") as llm:
        llm.add_rule(user=r"saldo", after_tool=False, tool_call=("get_balance", {"account": "42"}))
        llm.add_rule(after_tool=True, reply="Seu saldo é {last_tool_result}.")
        model = OpenAIChat(id="gpt-4o-mini", base_url=llm.url + "/v1", api_key="test", max_retries=0)
        agent = Agent(model=model, tools=[get_balance])
        assert agent.run("Qual o meu saldo?").content == "Seu saldo é 10 reais."
        assert llm.calls == 2

Rules are checked in the order they were added and the first match answers; when none matches the server
answers ``default_reply``. Every condition of a rule that is given must hold:

- ``when``: a callable given the parsed request body, returning true to match;
- ``system``: a regex searched (``re.DOTALL``) in the text of all system/developer messages, joined by newlines
  (OpenAIChat sends Agno's system prompt with the role ``developer``);
- ``user``: a regex searched in the text of the last user message (string content or text content parts);
- ``model``: a regex searched in the request's ``model``;
- ``after_tool``: ``True`` only when the last message is a tool result (role ``tool``), ``False`` only when not.

A rule answers with ``reply`` (text), ``tool_call=(name, args)`` / ``tool_calls=[(name, args), ...]`` (args a dict
or a JSON string), both (text alongside tool calls), ``reply_fn(request) -> {"content": ..., "tool_calls": [...]}``
computed per request, or ``status`` (an HTTP error with an OpenAI-style error body; ``reply`` is then the error
message and ``error_code`` its ``code``). In a reply, ``{last_tool_result}`` is replaced by the content of the last
tool message and ``{last_user}`` by the text of the last user message.

Observability: ``requests`` (the parsed bodies), ``calls``, ``max_in_flight`` (the most requests served at the same
time), ``errors`` (exceptions raised by a rule's callables, answered as HTTP 500), ``reset_stats()``.

Note that the OpenAI SDK retries 408/409/429/5xx answers itself (2 retries by default, with back-off): pass
``max_retries=0`` to ``OpenAIChat`` when a test wants an error rule to be seen once. Agno turns such an error into
a run with ``status == RunStatus.error`` (the error message as ``content``); it does not raise.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeLLM", "Rule"]

_COMPLETION_PATHS = ("/v1/chat/completions", "/chat/completions")

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout",
    409: "conflict",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


@dataclass
class Rule:
    """One scripted answer and the conditions under which it is given (see the module docstring)."""

    when: Callable[[dict], bool] | None = None
    system: re.Pattern[str] | None = None
    user: re.Pattern[str] | None = None
    model: re.Pattern[str] | None = None
    after_tool: bool | None = None
    reply: str | None = None
    tool_calls: list[tuple[str, Any]] | None = None
    status: int | None = None
    error_code: str | None = None
    delay: float | None = None
    reply_fn: Callable[[dict], dict] | None = None

    def matches(self, request: dict) -> bool:
        messages = request.get("messages") or []
        if self.model is not None and not self.model.search(str(request.get("model") or "")):
            return False
        if self.system is not None and not self.system.search(system_text(messages)):
            return False
        if self.user is not None and not self.user.search(last_user_text(messages)):
            return False
        if self.after_tool is not None and self.after_tool != _last_is_tool(messages):
            return False
        if self.when is not None and not self.when(request):
            return False
        return True


# --- Reading a request ---------------------------------------------------------------------------


def content_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return str(content)


def system_text(messages: list[dict]) -> str:
    """The text of every system and developer message, joined by newlines."""
    return "\n".join(content_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))


def last_user_text(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def last_tool_result(messages: list[dict]) -> str:
    for message in reversed(messages):
        if message.get("role") == "tool":
            return content_text(message.get("content"))
    return ""


def _last_is_tool(messages: list[dict]) -> bool:
    return bool(messages) and messages[-1].get("role") == "tool"


def _words(text: str) -> int:
    return len(text.split())


def _prompt_tokens(messages: list[dict]) -> int:
    total = 0
    for message in messages:
        total += _words(content_text(message.get("content")))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            total += _words(str(function.get("name") or "")) + _words(str(function.get("arguments") or ""))
    return max(total, 1)


def _completion_tokens(content: str | None, tool_calls: list[dict]) -> int:
    total = _words(content or "")
    for call in tool_calls:
        total += _words(call["function"]["name"]) + _words(call["function"]["arguments"])
    return max(total, 1)


def _compile(pattern: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    return re.compile(pattern, re.DOTALL)


# --- The server ----------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a benchmark opens many connections at once; the default backlog is 5
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hang up (a cancelled run, a timed-out benchmark); loud about the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the OpenAI SDK's connection pool expects
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line on stderr per request."""

    def do_GET(self) -> None:
        self._read_body()
        self._send_error_json(404, f"Unknown path {self.path}", "not_found_error", None)

    def do_POST(self) -> None:
        body = self._read_body()
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in _COMPLETION_PATHS:
            self._send_error_json(404, f"Unknown path {self.path}", "not_found_error", None)
            return
        try:
            request = json.loads(body or b"{}")
            if not isinstance(request, dict):
                raise ValueError("the body is not a JSON object")
        except ValueError as exc:
            self._send_error_json(400, f"Invalid JSON body: {exc}", "invalid_request_error", None)
            return
        self.server.fake._serve(self, request)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error_json(self, status: int, message: str, error_type: str, code: str | None) -> None:
        self._send_json(status, {"error": {"message": message, "type": error_type, "param": None, "code": code}})

    def _send_events(self, events: Iterable[dict | str]) -> None:
        """Server-Sent Events in chunked transfer encoding (the connection stays usable afterwards)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event)
            chunk = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class FakeLLM:
    """An OpenAI-compatible Chat Completions endpoint on 127.0.0.1 answering by scripted rules.

    ``FakeLLM(latency=0.0, default_reply="ok")``; use it as a context manager or call ``start()``/``stop()``.
    ``url`` is ``http://127.0.0.1:PORT`` (give models ``base_url=url + "/v1"``).
    """

    def __init__(self, latency: float = 0.0, default_reply: str = "ok") -> None:
        self.latency = latency
        self.default_reply = default_reply
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._errors: list[str] = []
        self._calls = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- Life cycle ---

    def start(self) -> FakeLLM:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeLLM is not running: call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- Scripting ---

    def add_rule(
        self,
        *,
        when: Callable[[dict], bool] | None = None,
        system: str | re.Pattern[str] | None = None,
        user: str | re.Pattern[str] | None = None,
        model: str | re.Pattern[str] | None = None,
        after_tool: bool | None = None,
        reply: str | None = None,
        tool_call: tuple[str, Any] | None = None,
        tool_calls: list | None = None,
        status: int | None = None,
        error_code: str | None = None,
        delay: float | None = None,
        reply_fn: Callable[[dict], dict] | None = None,
    ) -> Rule:
        """Append a rule (checked after the ones already added). See the module docstring."""
        calls = list(tool_calls or [])
        if tool_call is not None:
            calls.insert(0, tool_call)
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (4xx/5xx), not {status}")
        rule = Rule(
            when=when,
            system=_compile(system),
            user=_compile(user),
            model=_compile(model),
            after_tool=after_tool,
            reply=reply,
            tool_calls=calls or None,
            status=status,
            error_code=error_code,
            delay=delay,
            reply_fn=reply_fn,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    # --- Observability ---

    @property
    def requests(self) -> list[dict]:
        """The parsed request bodies, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls

    @property
    def max_in_flight(self) -> int:
        """The highest number of requests that were being served at the same time."""
        with self._lock:
            return self._max_in_flight

    @property
    def errors(self) -> list[str]:
        """Exceptions raised by a rule's ``when``/``reply_fn`` (each answered as HTTP 500)."""
        with self._lock:
            return list(self._errors)

    def reset_stats(self) -> None:
        """Forget recorded requests, the call count and the concurrency high-water mark (rules stay)."""
        with self._lock:
            self._requests.clear()
            self._errors.clear()
            self._calls = 0
            self._max_in_flight = self._in_flight

    # --- Serving ---

    def _serve(self, handler: _Handler, request: dict) -> None:
        with self._lock:
            self._requests.append(request)
            self._calls += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            rules = list(self._rules)
        try:
            self._answer(handler, request, rules)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, handler: _Handler, request: dict, rules: list[Rule]) -> None:
        messages = request.get("messages") or []
        try:
            rule = next((r for r in rules if r.matches(request)), None)
            if rule is not None and rule.reply_fn is not None and rule.status is None:
                produced = rule.reply_fn(request) or {}
                content, tool_calls = produced.get("content"), self._tool_calls(produced.get("tool_calls") or [])
            elif rule is not None:
                content, tool_calls = rule.reply, self._tool_calls(rule.tool_calls or [])
            else:
                content, tool_calls = self.default_reply, []
        except Exception as exc:  # noqa: BLE001 - a broken rule is reported to the client and kept for the test
            with self._lock:
                self._errors.append(f"{type(exc).__name__}: {exc}")
            self._sleep(None)
            handler._send_error_json(500, f"FakeLLM rule failed: {exc}", "server_error", None)
            return

        if content is not None and not isinstance(content, str):  # a reply_fn may answer structured output
            content = json.dumps(content, ensure_ascii=False)
        if content is not None:
            content = content.replace("{last_tool_result}", last_tool_result(messages))
            content = content.replace("{last_user}", last_user_text(messages))
        self._sleep(rule)

        if rule is not None and rule.status is not None:
            error_message = content or f"FakeLLM scripted error (HTTP {rule.status})"
            error_type = _ERROR_TYPES.get(
                rule.status, "server_error" if rule.status >= 500 else "invalid_request_error"
            )
            handler._send_error_json(rule.status, error_message, error_type, rule.error_code)
            return

        completion_id = f"chatcmpl-fake{next(self._ids)}"
        created = int(time.time())
        model = str(request.get("model") or "fake-llm")
        finish_reason = "tool_calls" if tool_calls else "stop"
        prompt_tokens = _prompt_tokens(messages)
        completion_tokens = _completion_tokens(content, tool_calls)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if request.get("stream"):
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            events = _chunks(completion_id, created, model, content, tool_calls, finish_reason, usage, include_usage)
            handler._send_events(events)
            return
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        handler._send_json(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
                "usage": usage,
                "system_fingerprint": "fp_fake_llm",
            },
        )

    def _sleep(self, rule: Rule | None) -> None:
        seconds = self.latency + (rule.delay if rule is not None and rule.delay else 0.0)
        if seconds > 0:
            time.sleep(seconds)

    def _tool_calls(self, specs: Iterable[Any]) -> list[dict]:
        """OpenAI tool calls from ``(name, args)`` pairs, ``{"name", "arguments"}`` dicts or OpenAI's own shape."""
        calls = []
        for spec in specs:
            call_id = None
            if isinstance(spec, dict) and "function" in spec:
                call_id = spec.get("id")
                name, arguments = spec["function"]["name"], spec["function"].get("arguments", {})
            elif isinstance(spec, dict):
                call_id = spec.get("id")
                name, arguments = spec["name"], spec.get("arguments", spec.get("args", {}))
            else:
                name, arguments = spec
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            calls.append(
                {
                    "id": call_id or f"call_fake{next(self._ids)}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            )
        return calls


def _chunks(
    completion_id: str,
    created: int,
    model: str,
    content: str | None,
    tool_calls: list[dict],
    finish_reason: str,
    usage: dict,
    include_usage: bool,
) -> Iterable[dict | str]:
    """The ``chat.completion.chunk`` events of one answer, as OpenAI streams them."""

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake_llm",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    yield chunk({"role": "assistant", "content": "" if content is not None else None})
    # Word by word (each piece keeps its trailing blank), so a consumer sees several content deltas.
    for piece in re.findall(r"\s*\S+\s*|\s+", content or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(tool_calls):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["function"]["name"], "arguments": arguments[:half]},
                    }
                ]
            }
        )
        yield chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]})
    yield chunk({}, finish_reason)
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake_llm",
            "choices": [],
            "usage": usage,
        }
    yield "[DONE]"
