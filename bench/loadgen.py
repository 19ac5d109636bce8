"""The load generator: N clients, each with its own keep-alive connection, on one event loop in a process of its own.

It runs apart from the runner (`python -m bench.loadgen ...`, JSON on stdout) so the runner's own work never steals
its interpreter, and it reports the CPU it used: near 100% of a core means the generator, not the server, set the pace.
Only loopback addresses are accepted: this tool must never be pointed at someone else's server.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import resource
import selectors
import socket
import sys
import time
import uuid
from collections import Counter

REQUEST_TIMEOUT_S = 30.0
RECEIVE_BYTES = 256 * 1024


class HostRefused(ValueError):
    """The target is not a loopback address; the bench only loads this machine."""


def require_loopback(host: str) -> str:
    """Return host when it is a literal loopback IP address (127.0.0.0/8 or ::1); refuse anything else.

    Names are refused too, even "localhost": a name can resolve anywhere, an address literal cannot.
    """
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise HostRefused(f"只能压测本机回环地址（如 127.0.0.1），拒绝 {host!r} / only loopback addresses") from None
    if not address.is_loopback:
        raise HostRefused(f"只能压测本机回环地址（如 127.0.0.1），拒绝 {host!r} / only loopback addresses")
    return str(address)


class _Client:
    """One simulated user: one connection, reopened whenever the server closes it (gunicorn sync workers do).

    `headers` and `body` come from a prepared requests file (signed-in cookies, JSON bodies); `unique_header` names a
    header given a new random value on every request (an Idempotency-Key). The client is a small state machine driven
    by `_Loop`: it holds the bytes still to send and the answer read so far.
    """

    def __init__(
        self,
        host: str,
        port: int,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        unique_header: str = "",
        sequence: list[dict] | None = None,
    ):
        self.host, self.port, self.method, self.path = host, port, method, path
        self.body = body.encode("utf-8") if body is not None else b"" if method == "POST" else None
        self.headers = {"Host": f"{host}:{port}", "Accept-Encoding": "identity", "Connection": "keep-alive"}
        self.headers.update(headers or {})
        self.unique_header = unique_header
        self.sock: socket.socket | None = None
        self.outgoing = b""
        self.answer: _Answer | None = None
        self.in_flight = False
        self.started = 0.0
        # A client with a sequence sends its next (path, body) on every request, e.g. each request completes a task
        # of its own (bench/scenarios_review.py); when the sequence runs out it starts again (and those fail).
        self.sequence = (
            itertools.cycle(
                [
                    (step["path"], step["body"].encode("utf-8") if step.get("body") is not None else self.body)
                    for step in sequence
                ]
            )
            if sequence
            else None
        )
        # Without a sequence or a per-request header every request is the same bytes: build them once.
        self._fixed = None if (self.sequence or unique_header) else self._encode(self.path, self.body, self.headers)

    def next_request(self) -> bytes:
        """The bytes of the next request: request line, headers, body."""
        if self._fixed is not None:
            return self._fixed
        path, body = next(self.sequence) if self.sequence is not None else (self.path, self.body)
        headers = {**self.headers, self.unique_header: uuid.uuid4().hex} if self.unique_header else self.headers
        return self._encode(path, body, headers)

    def _encode(self, path: str, body: bytes | None, headers: dict[str, str]) -> bytes:
        lines = [f"{self.method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Answer:
    """An HTTP/1.1 answer read so far: complete once its headers and the body they announce have arrived."""

    def __init__(self):
        self.buffer = bytearray()
        self.status = 0
        self.body_start = -1
        self.length: int | None = None  # Content-Length, when given
        self.chunked = False
        self.will_close = False

    def feed(self, data: bytes) -> bool:
        """Add bytes; return True when the answer is complete."""
        self.buffer += data
        if self.body_start < 0 and not self._read_head():
            return False
        return self._body_complete()

    def complete_at_close(self) -> bool:
        """The server closed the connection: complete if the answer is delimited by the close (no length given)."""
        if self.body_start < 0:
            return False
        return self._body_complete() or (self.length is None and not self.chunked)

    def _read_head(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        self.status = int(status)
        self.will_close = version == "HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                self.length = int(value)
            elif name == "transfer-encoding":
                self.chunked = "chunked" in value
            elif name == "connection":
                self.will_close = value == "close" or (self.will_close and value != "keep-alive")
        self.body_start = end + 4
        return True

    def _body_complete(self) -> bool:
        received = len(self.buffer) - self.body_start
        if self.length is not None:
            return received >= self.length
        if self.chunked:
            return _chunks_complete(self.buffer, self.body_start)
        return False  # delimited by the close


def _chunks_complete(buffer: bytearray, position: int) -> bool:
    """Whether a chunked body starting at `position` has reached its last (zero-size) chunk and final CRLF."""
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return False
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        if size == 0:  # the last chunk: complete after the (optional) trailers and their blank line
            return buffer.find(b"\r\n\r\n", line_end) >= 0
        position = line_end + 2 + size + 2
        if position > len(buffer):
            return False


class _Loop:
    """Every client on one selector in one thread: no thread waits for the interpreter lock to see its answer.

    Threads (one per client) made a finished answer wait until the thread got the lock back, which showed up in the
    high percentiles, and cost the generator half a core at 1 000 req/s; here a request costs a connect, a send,
    a receive or two and a header parse.
    """

    def __init__(self, clients: list[_Client], *, duration_s: float, max_requests: int, record: bool):
        self.clients = clients
        self.deadline = time.perf_counter() + duration_s
        self.remaining = max_requests
        self.record = record
        self.latencies: list[float] = []
        self.failures: Counter = Counter()
        self.selector = selectors.DefaultSelector()
        self.active = 0

    def run(self) -> None:
        for client in self.clients:
            self._begin(client)
        next_stall_check = time.perf_counter() + 1.0
        while self.active:
            for key, mask in self.selector.select(timeout=1.0):
                self._on_event(key.data, mask)
            if time.perf_counter() >= next_stall_check:
                self._expire_stalled()
                next_stall_check = time.perf_counter() + 1.0
        for client in self.clients:
            client.close()
        self.selector.close()

    def _begin(self, client: _Client) -> None:
        """Start the client's next request while time and budget remain."""
        if time.perf_counter() >= self.deadline or self.remaining <= 0:
            return
        self.remaining -= 1
        self.active += 1
        client.in_flight = True
        client.started = time.perf_counter()
        client.outgoing = client.next_request()
        client.answer = _Answer()
        if client.sock is None:
            client.sock = socket.socket(socket.AF_INET6 if ":" in client.host else socket.AF_INET)
            client.sock.setblocking(False)
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.sock.connect_ex((client.host, client.port))
            self.selector.register(client.sock, selectors.EVENT_WRITE, client)
        else:
            self.selector.modify(client.sock, selectors.EVENT_WRITE, client)

    def _on_event(self, client: _Client, mask: int) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                self._send(client)
            elif mask & selectors.EVENT_READ:
                self._receive(client)
        except OSError as exc:
            self._finish(client, type(exc).__name__, close=True)
        except ValueError:  # a status line or a length that is not a number: not HTTP as this generator reads it
            self._finish(client, "BadResponse", close=True)

    def _send(self, client: _Client) -> None:
        error = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, os.strerror(error))  # e.g. ConnectionRefusedError for a refused connect
        sent = client.sock.send(client.outgoing)
        client.outgoing = client.outgoing[sent:]
        if not client.outgoing:
            self.selector.modify(client.sock, selectors.EVENT_READ, client)

    def _receive(self, client: _Client) -> None:
        data = client.sock.recv(RECEIVE_BYTES)
        answer = client.answer
        if not data:
            if answer.complete_at_close():
                self._finish(client, _status_failure(answer.status), close=True)
            else:
                self._finish(client, "RemoteDisconnected", close=True)
        elif answer.feed(data):
            self._finish(client, _status_failure(answer.status), close=answer.will_close)

    def _finish(self, client: _Client, failure: str | None, *, close: bool) -> None:
        if self.record:
            self.latencies.append(time.perf_counter() - client.started)
            if failure:
                self.failures[failure] += 1
        self.active -= 1
        client.in_flight = False
        if close:
            self._drop(client)
        self._begin(client)
        if not client.in_flight:  # time or budget is up: nothing more to send on this connection
            self._drop(client)

    def _drop(self, client: _Client) -> None:
        if client.sock is not None:
            self.selector.unregister(client.sock)
            client.close()

    def _expire_stalled(self) -> None:
        now = time.perf_counter()
        for client in self.clients:
            if client.in_flight and now - client.started > REQUEST_TIMEOUT_S:
                self._finish(client, "TimeoutError", close=True)


def _drive(
    clients: list[_Client], *, duration_s: float, max_requests: int, record: bool
) -> tuple[list, Counter, float]:
    """Run every client until the deadline or the request budget; return latencies, failures and elapsed time."""
    started = time.perf_counter()
    loop = _Loop(clients, duration_s=duration_s, max_requests=max_requests, record=record)
    loop.run()
    return loop.latencies, loop.failures, time.perf_counter() - started


def _status_failure(status: int) -> str | None:
    return None if 200 <= status < 400 else f"HTTP {status}"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(
    *,
    host: str,
    port: int,
    method: str,
    path: str,
    concurrency: int,
    duration_s: float,
    max_requests: int,
    warmup_s: float = 0.0,
    prepared: dict | None = None,
) -> dict:
    """Warm up (unrecorded), then measure; the result is what bench.stats.summarise takes.

    `prepared` ({"requests": [{"method", "path", "headers", "body"}], "unique_header"}) gives client i request i mod n;
    a request with a "sequence" ([{"path", "body"}]) sends the next of those each time.
    """
    host = require_loopback(host)
    clients = _clients(host, port, method, path, concurrency, prepared)
    try:
        if warmup_s > 0:
            _drive(clients, duration_s=warmup_s, max_requests=max_requests, record=False)
        cpu_before = _cpu_seconds()
        latencies, failures, elapsed = _drive(clients, duration_s=duration_s, max_requests=max_requests, record=True)
        cpu = (_cpu_seconds() - cpu_before) / elapsed if elapsed > 0 else 0.0
    finally:
        for client in clients:
            client.close()
    return {
        "latencies_s": [round(value, 6) for value in latencies],
        "error_kinds": dict(failures),
        "elapsed_s": elapsed,
        "loadgen_cpu": cpu,
    }


def _clients(host: str, port: int, method: str, path: str, concurrency: int, prepared: dict | None) -> list[_Client]:
    if not prepared:
        return [_Client(host, port, method, path) for _ in range(concurrency)]
    shapes = prepared["requests"]
    unique = prepared.get("unique_header", "")
    return [
        _Client(
            host,
            port,
            shape["method"],
            shape["path"],
            headers=shape.get("headers"),
            body=shape.get("body"),
            unique_header=unique,
            sequence=shape.get("sequence"),
        )
        for shape in (shapes[index % len(shapes)] for index in range(concurrency))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description="Tongban bench load generator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET", choices=["GET", "POST"])
    parser.add_argument("--path", required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--max-requests", type=int, required=True)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--requests", default="", help="prepared requests file (bench/scenarios_cases.py)")
    args = parser.parse_args(argv)
    prepared = None
    if args.requests:
        with open(args.requests, encoding="utf-8") as handle:
            prepared = json.load(handle)
    try:
        result = generate(
            host=args.host,
            port=args.port,
            method=args.method,
            path=args.path,
            concurrency=args.concurrency,
            duration_s=args.duration,
            max_requests=args.max_requests,
            warmup_s=args.warmup,
            prepared=prepared,
        )
    except HostRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
