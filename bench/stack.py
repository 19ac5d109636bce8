"""`python -m bench.stack`: the per-request cost of the shared stack, in-process (no HTTP, no load generator).

Calls the WSGI application gunicorn serves, in a loop, for each request kind: an anonymous API call and page with no
cookie, and signed-in pages and API calls (a clerk's worklist, a person's 我的办件); with --write, the bench's writing
scenarios too (api-submit: a submission with three uploaded materials; api-complete: a review step completed), each
request a new submission or a different task, prepared as the HTTP bench prepares them. Prints, per kind, the mean and
p50/p95 wall time of a request, its process CPU time (what this worker spent, whatever else the machine was doing),
the SQL statements it ran (Django's execute wrapper; the connection health check's `SELECT 1` goes around it and is
counted apart), the CPU time the PostgreSQL backend spent on it when the database runs on this machine ("DB CPU"),
and, with --profile KIND, cProfile's top functions for that kind.

Run against a seeded database (manage.py migrate + demo_seed), e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tongban_h5 python -m bench.stack --requests 500
Figures depend on the machine's load; say what `uptime` showed beside any figure you quote.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.scenarios_review import TASKS_PER_CLIENT, WORKLIST_API, WORKLIST_PAGE, WORKLIST_REVIEWER_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[1]
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


@dataclass(frozen=True)
class Kind:
    """One kind of request: where it goes and who (if anyone) is signed in."""

    name: str
    path: str
    username: str = ""  # "" = anonymous, no cookie at all
    api_client: bool = False  # sends Accept: application/json and no browser user agent


PERSON = "13805710001"  # the demo's applicant

KINDS = [
    # The bench's constant view (mounted with TONGBAN_BENCH_CEILING=1): the middleware stack and nothing else.
    Kind("ceiling-constant", "/__bench__/constant", api_client=True),
    Kind("healthz", "/healthz", api_client=True),
    Kind("api-search-anon", "/api/v1/catalog/items?q=spjy", api_client=True),
    Kind("page-anon-lookup", "/cases/lookup/"),
    Kind("page-anon-home", "/"),
    Kind("page-worklist", "/workbench/cases/?list=pre_review", username="reviewer_sun"),
    Kind("api-worklist", "/api/v1/cases/worklist?list=pre_review", username="reviewer_sun", api_client=True),
    Kind("page-mine", "/cases/mine/", username=PERSON),
    Kind("api-mine", "/api/v1/cases/mine", username=PERSON, api_client=True),
    # The review bench's worklist reviewer (made by its review-worklist scenarios): the largest pool of open steps.
    Kind("page-review", WORKLIST_PAGE, username=f"{WORKLIST_REVIEWER_PREFIX}01"),
    Kind("api-review", WORKLIST_API, username=f"{WORKLIST_REVIEWER_PREFIX}01", api_client=True),
]


# Writing kinds: (module, preparation) of the HTTP bench scenario whose prepared requests they send, one each.
WRITE_KINDS = {
    "api-submit": ("bench.scenarios_cases", "submit"),
    "api-complete": ("bench.scenarios_review", "complete"),
}


def _as_person(kind: Kind, person: str) -> Kind:
    """The kind signed in as `person` instead of the demo's applicant, if it is one of the 我的办件 kinds."""
    return replace(kind, username=person) if kind.username == PERSON else kind


def _session_cookie(username: str) -> str:
    """Sign the user in through the platform's session_start (as the bench does); the Cookie header a browser sends."""
    from django.contrib.auth import get_user_model

    from bench.scenarios_cases import _session_headers

    return _session_headers(get_user_model().objects.get(username=username))["Cookie"]


def _environ(kind: Kind, cookie: str) -> dict:
    path, _, query = kind.path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if kind.api_client:
        environ["HTTP_ACCEPT"] = "application/json"
        environ["HTTP_USER_AGENT"] = "python-requests/2.32"
    else:
        environ["HTTP_ACCEPT"] = "text/html"
        environ["HTTP_USER_AGENT"] = BROWSER_UA
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


class _Counter:
    """Counts (and keeps the text of) the SQL one request runs, through Django's execute wrapper."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


def _health_checks() -> list[int]:
    """Wrap the connection's is_usable() so the per-request `SELECT 1` of CONN_HEALTH_CHECKS is counted too."""
    from django.db import connection

    calls = [0]
    original = connection.is_usable

    def counted():
        calls[0] += 1
        return original()

    connection.is_usable = counted
    return calls


def _write_environs(name: str, count: int) -> list[dict]:
    """`count` POST environs of the writing kind, each a request the HTTP bench would send once (a new idempotency
    key per submission; a different open task per completion)."""
    import importlib
    import math
    import uuid

    module, preparation = WRITE_KINDS[name]
    # A submitter's sequence rotates over every item and may repeat (a new key makes each a new case); a reviewer
    # completes each of their prepared tasks once.
    clients = math.ceil(count / TASKS_PER_CLIENT) if name == "api-complete" else 4
    prepared = importlib.import_module(module).prepare(preparation, clients)
    if prepared.get("skip"):
        raise SystemExit(f"{name}: {prepared['skip']}")
    steps = [
        (request["headers"], step) for request in prepared["requests"] for step in request.get("sequence", [request])
    ]
    environs = []
    for index in range(count):
        headers, step = steps[index % len(steps)]
        environ = _environ(Kind(name, step["path"], api_client=True), headers["Cookie"])
        body = step["body"].encode()
        environ.update(
            REQUEST_METHOD="POST",
            CONTENT_TYPE="application/json",
            CONTENT_LENGTH=str(len(body)),
            HTTP_X_CSRFTOKEN=headers["X-CSRFToken"],
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            body=body,
        )
        environs.append(environ)
    return environs


def _backend_cpu_s() -> float | None:
    """CPU seconds the database backend serving this process has used so far, when it is a PostgreSQL on this machine
    (its /proc entry is readable); None otherwise."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def call(application, environ: dict) -> tuple[int, bytes]:
    status_holder = []

    def start_response(status, headers, exc_info=None):
        status_holder.append(int(status.split(" ", 1)[0]))

    env = dict(environ, **{"wsgi.input": io.BytesIO(environ.get("body", b""))})
    result = application(env, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status_holder[0], body


@dataclass
class Measured:
    kind: str
    status: int
    mean_ms: float
    cpu_ms: float
    p50_ms: float
    p95_ms: float
    db_cpu_ms: float | None
    sql_per_request: float
    health_checks_per_request: float
    first_sql: list[str]


def measure(
    application, kind: Kind, *, requests: int, warmup: int, profile: bool, sort: str, dump: str = ""
) -> Measured:
    from django.db import connection

    if kind.name in WRITE_KINDS:
        environs = _write_environs(kind.name, 1 + warmup + requests)
    else:
        environs = [_environ(kind, _session_cookie(kind.username) if kind.username else "")] * (1 + warmup + requests)
    status, _body = call(application, environs[0])
    for environ in environs[1 : 1 + warmup]:
        call(application, environ)
    counter = _Counter()
    health = _health_checks()
    first: list[str] = []
    timings, cpu = [], []
    profiler = cProfile.Profile() if profile else None
    db_cpu_started = _backend_cpu_s()
    with connection.execute_wrapper(counter):
        for index, environ in enumerate(environs[1 + warmup :]):
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            call(application, environ)
            if profiler:
                profiler.disable()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            if index == 0:
                first = list(counter.statements)
    db_cpu_ended = _backend_cpu_s()
    del connection.is_usable
    if profiler and dump:
        profiler.dump_stats(dump)
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(sort).print_stats(45)
        print(f"--- cProfile {kind.name} ({requests} requests, {sort}) ---\n{stream.getvalue()}", file=sys.stderr)
    timings.sort()
    return Measured(
        kind=kind.name,
        status=status,
        mean_ms=statistics.fmean(timings),
        cpu_ms=statistics.fmean(cpu),
        p50_ms=timings[len(timings) // 2],
        p95_ms=timings[int(len(timings) * 0.95)],
        db_cpu_ms=None if db_cpu_started is None else (db_cpu_ended - db_cpu_started) * 1000 / requests,
        sql_per_request=len(counter.statements) / requests,
        health_checks_per_request=health[0] / requests,
        first_sql=first,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--kind", action="append", default=[], help="only these kinds (repeatable)")
    parser.add_argument("--profile", action="append", default=[], help="cProfile these kinds (repeatable)")
    parser.add_argument("--sql", action="store_true", help="print the SQL of one request of each kind")
    parser.add_argument(
        "--write",
        action="append",
        default=[],
        choices=sorted(WRITE_KINDS),
        help="measure this writing kind (repeatable; alone, only the writing kinds); it changes the database as the "
        "HTTP bench does",
    )
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative (default) or tottime")
    parser.add_argument("--dump", default="", metavar="PATH", help="also write the profile's stats here (pstats)")
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also measure this anonymous API call (repeatable), e.g. a licence's verification, whose identifier "
        "depends on the database",
    )
    parser.add_argument(
        "--person",
        default=PERSON,
        help="the person the 我的办件 kinds sign in as (on the cases bench database: one of the ~50-case bench_p…)",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "src")]
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.conf import settings

    extra = [Kind(name, path, api_client=True) for name, path in (item.split("=", 1) for item in args.path)]
    wanted = [kind for kind in KINDS if kind.name in args.kind] if args.kind or args.write else KINDS
    kinds = [_as_person(kind, args.person) for kind in wanted] + extra
    kinds += [Kind(name, WRITE_KINDS[name][1], api_client=True) for name in args.write]
    if not settings.TONGBAN_BENCH_CEILING:
        kinds = [kind for kind in kinds if not kind.path.startswith("/__bench__/")]
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    columns = (
        ("status", 6),
        ("mean ms", 8),
        ("CPU ms", 7),
        ("p50 ms", 7),
        ("p95 ms", 7),
        ("DB CPU", 7),
        ("SQL/req", 8),
        ("SELECT 1", 8),
    )
    print(f"{'kind':<18}" + "".join(f" {name:>{width}}" for name, width in columns))
    for kind in kinds:
        result = measure(
            application,
            kind,
            requests=args.requests,
            warmup=args.warmup,
            profile=kind.name in args.profile,
            sort=args.sort,
            dump=args.dump,
        )
        print(
            f"{result.kind:<18} {result.status:>6} {result.mean_ms:>8.2f} {result.cpu_ms:>7.2f}"
            f" {result.p50_ms:>7.2f} {result.p95_ms:>7.2f}"
            f" {'' if result.db_cpu_ms is None else f'{result.db_cpu_ms:.2f}':>7}"
            f" {result.sql_per_request:>8.2f} {result.health_checks_per_request:>8.2f}",
            flush=True,
        )
        if args.sql:
            for statement in result.first_sql:
                print(f"    {statement[:160]}")
    print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
