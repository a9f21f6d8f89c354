"""A small OpenAI-compatible chat server on 127.0.0.1 for tests, which can be told to fail.

It speaks `POST /v1/chat/completions` (JSON, or SSE with chunked transfer when `"stream": true`)
and `GET /v1/models`, records every request body, and answers structured-output requests
(`tools` or `response_format`) with `structured_object`.

It reports token usage as OpenAI does: in every JSON answer, and in a last chunk with no choices
when a stream asks for it (`stream_options.include_usage`). Its counts are words, not tokens (a
test compares what was recorded with `usage_sent`); `report_usage=False` plays a server that
sends none.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Script:
    """What the server does for the next requests. Tests change it freely between calls."""

    reply: str = "I suppose it has been a hard few weeks."
    replies: list[str] | None = None  # one reply per request, in order (then `reply` again)
    chunks: list[str] | None = None  # explicit stream chunks; default: the reply split into words
    chunk_delay: float = 0.0  # seconds between content chunks
    first_token_delay: float = 0.0  # after the headers, before the first content chunk
    fail_status: int | None = None  # answer this HTTP status instead of a reply...
    fail_times: int = -1  # ...this many times (-1: always), then answer normally
    cut_after: int | None = None  # close the socket after this many content chunks, no [DONE]
    hang: bool = False  # send nothing at all until the server stops
    refuse_json_schema: bool = False  # like llama.cpp: 500 for response_format json_schema
    structured_object: dict[str, Any] = field(default_factory=dict)
    report_usage: bool = True  # send token counts (for streams: only when the request asks)
    cached_tokens: int | None = None  # report this many prompt tokens as served from a cache


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[dict[str, Any]] = []
        self.stream_finished: list[float] = []  # monotonic time each full stream ended
        self.disconnects = 0  # streams the client closed before the end
        self.usage_sent: list[dict[str, Any]] = []  # every usage object sent, in order
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- called from handler threads --

    def _usage(self, body: dict[str, Any], script: Script, completion: str) -> dict[str, Any]:
        prompt = sum(len(str(m.get("content") or "").split()) + 1 for m in body.get("messages", []))
        done = len(completion.split())
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
        if script.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": script.cached_tokens}
        with self._lock:
            self.usage_sent.append(usage)
        return usage

    def _record(self, body: dict[str, Any]) -> Script:
        """Store the request and decide whether this one fails; returns the script to follow."""
        with self._lock:
            self.requests.append(body)
            script = self.script
            fail = script.fail_status is not None and script.fail_times != 0
            if fail and script.fail_times > 0:
                script.fail_times -= 1
            if fail:
                return Script(fail_status=script.fail_status)
            reply = script.replies.pop(0) if script.replies else script.reply
            return replace(script, fail_status=None, reply=reply, replies=None)


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": "not found"}})
            return
        script = self.owner._record(body)
        if script.hang:
            self.owner._stop.wait(60)
            self.close_connection = True
            return
        if script.fail_status is not None:
            self._json(script.fail_status, {"error": {"message": f"scripted failure {script.fail_status}",
                                                      "type": "server_error"}})
            return
        fmt = (body.get("response_format") or {}).get("type")
        if fmt == "json_schema" and script.refuse_json_schema:
            self._json(500, {"error": {"message": "response_format type must be text or json_object"}})
            return
        if body.get("tools"):
            message = _tool_message(body, script.structured_object)
        elif fmt in ("json_schema", "json_object"):
            message = {"role": "assistant", "content": json.dumps(script.structured_object)}
        else:
            message = {"role": "assistant", "content": script.reply}
        if body.get("stream"):
            self._stream(body, script, message)
        else:
            finish = "tool_calls" if message.get("tool_calls") else "stop"
            answer = {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "fake-model"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            }
            if script.report_usage:
                answer["usage"] = self.owner._usage(body, script, _completion_text(message))
            self._json(200, answer)

    # -- responses --

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def _chunk(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = f"data: {text}\n\n".encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, body: dict[str, Any], script: Script, message: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": body.get("model", "fake-model"),
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        try:
            self._chunk(event({"role": "assistant", "content": ""}))
            if script.first_token_delay:
                time.sleep(script.first_token_delay)
            if message.get("tool_calls"):
                self._chunk(event({"tool_calls": [dict(message["tool_calls"][0], index=0)]}))
                finish = "tool_calls"
            else:
                pieces = script.chunks if script.chunks is not None else _words(message["content"])
                for i, piece in enumerate(pieces):
                    if script.cut_after is not None and i == script.cut_after:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if i and script.chunk_delay:
                        time.sleep(script.chunk_delay)
                    self._chunk(event({"content": piece}))
                finish = "stop"
            self._chunk(event({}, finish))
            if script.report_usage and (body.get("stream_options") or {}).get("include_usage"):
                self._chunk({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                             "model": body.get("model", "fake-model"), "choices": [],
                             "usage": self.owner._usage(body, script, _completion_text(message))})
            self._chunk("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            self.owner.stream_finished.append(time.monotonic())
        except (BrokenPipeError, ConnectionResetError):
            with self.owner._lock:
                self.owner.disconnects += 1


def _completion_text(message: dict[str, Any]) -> str:
    if message.get("tool_calls"):
        return message["tool_calls"][0]["function"]["arguments"]
    return message.get("content") or ""


def _words(text: str) -> list[str]:
    """Split into word-sized pieces that join back to exactly `text`."""
    pieces, start = [], 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            pieces.append(text[start:i])
            start = i
    pieces.append(text[start:])
    return [p for p in pieces if p]


def _tool_message(body: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    tool = body["tools"][0]["function"]["name"]
    return {"role": "assistant", "content": None, "tool_calls": [{
        "id": "call_fake", "type": "function",
        "function": {"name": tool, "arguments": json.dumps(obj)},
    }]}
