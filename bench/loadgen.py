"""The load generator: N threads, each a client with its own keep-alive HTTP connection, in a process of its own.

It runs apart from the runner (`python -m bench.loadgen ...`, JSON on stdout) so the runner's own work never steals
its interpreter, and it reports the CPU it used: near 100% of a core means the generator, not the server, set the pace.
Only loopback addresses are accepted: this tool must never be pointed at someone else's server.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import itertools
import json
import resource
import sys
import threading
import time
import uuid
from collections import Counter

REQUEST_TIMEOUT_S = 30.0


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
    header given a new random value on every request (an Idempotency-Key).
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
        self.headers = {"Connection": "keep-alive", **(headers or {})}
        self.unique_header = unique_header
        self.connection: http.client.HTTPConnection | None = None
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

    def request(self) -> str | None:
        """Send one request and read the whole answer; return None when it succeeded, else the kind of failure."""
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
            headers = self.headers
            if self.unique_header:
                headers = {**headers, self.unique_header: uuid.uuid4().hex}
            path, body = next(self.sequence) if self.sequence is not None else (self.path, self.body)
            self.connection.request(self.method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            if response.will_close:
                self.close()
            return None if 200 <= response.status < 400 else f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return type(exc).__name__

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _drive(
    clients: list[_Client], *, duration_s: float, max_requests: int, record: bool
) -> tuple[list, Counter, float]:
    """Run every client until the deadline or the request budget; return latencies, failures and elapsed time."""
    latencies: list[float] = []
    failures: Counter = Counter()
    issued = itertools.count()  # next() on a count is atomic under the GIL: a shared budget without a lock
    deadline = time.perf_counter() + duration_s

    def loop(client: _Client) -> None:
        while time.perf_counter() < deadline and next(issued) < max_requests:
            started = time.perf_counter()
            failure = client.request()
            if record:
                latencies.append(time.perf_counter() - started)
                if failure:
                    failures[failure] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(client,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started


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
