"""Reliability of applying (issue 5), against a real gunicorn serving a real database file (or PostgreSQL database):

(a) with the broker stopped, submissions still succeed and their documents and texts wait in the outbox; once the
    drain job runs ("the broker returns") each is delivered exactly once, however often the drain runs again;
(b) workers killed with SIGKILL in the middle of a load of submissions leave no half-written case, every
    acknowledged submission is present exactly once, and retrying the unacknowledged ones with the same
    Idempotency-Key creates no duplicate.

The database is made once per module (migrate, demo_seed, and the bench's submit preparation: persons bench_s…
signed in with three uploads each) in a temporary directory: a SQLite file, or, when DATABASE_URL points at
PostgreSQL, a database "<that name>_reliability" on the same server, dropped at the end. No Django test database
is used: the server processes and the checks below talk to that database directly.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from bench import server as bench_server

REPO_ROOT = bench_server.REPO_ROOT
CLIENTS = 8
LOAD_SECONDS = 4.0
KILL_TIMES = (1.0, 2.0, 3.0)  # seconds into the load; alternating between the two workers
SUBMITTERS = 6


# ---------------------------------------------------------------------------------------------------------------
# The database and the server


@dataclass
class Database:
    """Where the platform under test keeps its data, and how the checks read it."""

    url: str
    sqlite_path: Path | None = None
    postgres_admin_url: str = ""
    name: str = ""

    def query(self, sql: str) -> list[tuple]:
        return self._run(sql, fetch=True)

    def execute(self, sql: str) -> None:
        self._run(sql, fetch=False)

    def _run(self, sql: str, *, fetch: bool):
        if self.sqlite_path is not None:
            import sqlite3

            conn = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                with conn:
                    cursor = conn.execute(sql)
                    return cursor.fetchall() if fetch else None
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(_libpq(self.url)) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if fetch else None

    def drop(self) -> None:
        if self.postgres_admin_url:
            import psycopg

            with psycopg.connect(self.postgres_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _database(tmp: Path) -> Database:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        path = tmp / "reliability.sqlite3"
        return Database(url=f"sqlite:///{path}", sqlite_path=path)
    import psycopg

    parts = urlsplit(configured)
    name = f"{parts.path.lstrip('/') or 'tongban'}_reliability"[:63]
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return Database(url=urlunsplit(parts._replace(path=f"/{name}")), postgres_admin_url=admin, name=name)


def _environment(database: Database, tmp: Path, **extra: str) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DJANGO_"))}
    base |= {"DATABASE_URL": database.url, "TONGBAN_VAR_DIR": str(tmp / "var"), "TONGBAN_ENV": "demo"}
    return bench_server.server_environment(base | extra)


def _manage(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, f"manage.py {' '.join(args)}:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@dataclass
class Platform:
    """A prepared database, its environment and the submitters' prepared requests."""

    database: Database
    tmp: Path
    requests: list[dict]

    def env(self, **extra: str) -> dict[str, str]:
        return _environment(self.database, self.tmp, **extra)

    def drain(self) -> None:
        """The periodic outbox drain, as the scheduler runs it once the broker is back (until nothing is due)."""
        script = "from tongban.core import outbox\nwhile outbox.drain(limit=500).done: pass"
        _manage(self.env(), "shell", "-c", script)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reliability")
    database = _database(tmp)
    try:
        env = _environment(database, tmp)
        _manage(env, "migrate", "--noinput", "-v0")
        _manage(env, "demo_seed")
        out = tmp / "submit.json"
        completed = subprocess.run(
            [
                *(sys.executable, "-m", "bench.scenarios_cases", "prepare", "submit"),
                *(f"--clients={SUBMITTERS}", f"--out={out}"),
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        prepared = json.loads(out.read_text(encoding="utf-8"))
        assert not prepared.get("skip"), prepared
        yield Platform(database=database, tmp=tmp, requests=prepared["requests"])
    finally:
        database.drop()


def _start(platform: Platform, name: str, **extra: str) -> bench_server.Server:
    return bench_server.start_gunicorn(platform.env(**extra), workers=2, log_path=platform.tmp / f"{name}.log")


# ---------------------------------------------------------------------------------------------------------------
# Submitting


@dataclass
class Outcome:
    """What the client learnt about one Idempotency-Key: the case number when acknowledged, else why not."""

    spec: dict
    key: str
    number: str = ""
    status: int = 0
    failure: str = ""


def submit(server: bench_server.Server, spec: dict, key: str) -> Outcome:
    """POST one prepared application with this Idempotency-Key; acknowledged only on 200/201 with a number."""
    outcome = Outcome(spec=spec, key=key)
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.request(
            "POST", spec["path"], body=spec["body"].encode(), headers=spec["headers"] | {"Idempotency-Key": key}
        )
        response = connection.getresponse()
        body = response.read()
        outcome.status = response.status
        if response.status in (200, 201):
            outcome.number = json.loads(body)["number"]
        else:
            outcome.failure = f"HTTP {response.status}: {body[:200]!r}"
    except (OSError, http.client.HTTPException) as exc:
        outcome.failure = type(exc).__name__
    finally:
        connection.close()
    return outcome


@dataclass
class Load:
    """Clients submitting new applications until told to stop; every key sent is remembered with its outcome."""

    server: bench_server.Server
    requests: list[dict]
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, clients: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(index,), daemon=True) for index in range(clients)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self, index: int) -> None:
        spec = self.requests[index % len(self.requests)]
        while not self.stop.is_set():
            self.outcomes.append(submit(self.server, spec, f"rel-{uuid.uuid4().hex}"))


def _workers(server: bench_server.Server) -> list[int]:
    """The gunicorn master's worker processes (its children)."""
    path = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


# ---------------------------------------------------------------------------------------------------------------
# Checking the database


def _submitted_cases(database: Database) -> list[tuple]:
    """(number, status, key, receipt events, receipt documents, materials) of every case of the bench submitters."""
    return database.query(
        """
        SELECT c.number, c.status, c.idempotency_key,
               (SELECT COUNT(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.code = 1),
               (SELECT COUNT(*) FROM cases_casedocument d WHERE d.case_id = c.id AND d.kind = 'receipt'),
               (SELECT COUNT(*) FROM cases_casematerial m WHERE m.case_id = c.id)
        FROM cases_case c JOIN accounts_user u ON u.id = c.submitted_by_id
        WHERE u.username LIKE 'bench_s%'
        """
    )


def assert_no_half_written_case(database: Database) -> dict[str, list[str]]:
    """Every submitter's case is whole (received, numbered, one 接件 event, one receipt, all three materials);
    returns key -> numbers."""
    by_key: dict[str, list[str]] = {}
    rows = _submitted_cases(database)
    assert rows
    for number, status, key, events, receipts, materials in rows:
        assert (status, bool(number), events, receipts, materials) == (1, True, 1, 1, 3), (number, key)
        by_key.setdefault(key, []).append(number)
    return by_key


# ---------------------------------------------------------------------------------------------------------------
# (a) The broker is down


def _pending(database: Database, topic: str) -> int:
    sql = f"SELECT COUNT(*) FROM core_outboxmessage WHERE topic = '{topic}' AND status = 'pending'"
    return database.query(sql)[0][0]


def test_broker_down_submissions_succeed_and_are_delivered_once_when_it_returns(platform):
    closed_port = bench_server.free_port()  # nobody listens there: the broker is "stopped"
    server = _start(platform, "broker-down", CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port}/0")
    try:
        outcomes = [submit(server, spec, f"down-{uuid.uuid4().hex}") for spec in platform.requests[:3]]
    finally:
        server.stop()
    assert [(o.status, bool(o.number)) for o in outcomes] == [(201, True)] * 3, [o.failure for o in outcomes]
    numbers = "', '".join(o.number for o in outcomes)
    documents = platform.database.query(
        "SELECT d.id, d.status FROM cases_casedocument d JOIN cases_case c ON c.id = d.case_id "
        f"WHERE c.number IN ('{numbers}')"
    )
    assert len(documents) == 3 and {status for _id, status in documents} == {"pending"}
    assert _pending(platform.database, "cases.render_document") >= 3
    assert _pending(platform.database, "accounts.sms") >= 3  # one text to each applicant's phone
    site_messages = platform.database.query(
        "SELECT COUNT(*) FROM notifications_message WHERE topic = 'case.received' "
        f"AND body LIKE '%{outcomes[0].number}%'"
    )
    assert site_messages == [(1,)]  # the site message is written with the case itself

    platform.drain()  # the broker is back: the periodic drain delivers what waited
    platform.drain()  # and running it again (or a late broker delivery) changes nothing
    assert _pending(platform.database, "cases.render_document") == 0
    assert _pending(platform.database, "accounts.sms") == 0
    ids = ", ".join(str(document_id) for document_id, _status in documents)
    rendered = platform.database.query(f"SELECT DISTINCT status FROM cases_casedocument WHERE id IN ({ids})")
    assert rendered == [("ready",)]
    sms = platform.database.query(
        "SELECT o.id, COUNT(s.id) FROM core_outboxmessage o LEFT JOIN accounts_smsmessage s ON s.outbox_id = o.id "
        "WHERE o.topic = 'accounts.sms' GROUP BY o.id"
    )
    assert sms and {count for _id, count in sms} == {1}  # every text sent exactly once


# ---------------------------------------------------------------------------------------------------------------
# (b) Workers killed mid-load


def test_workers_killed_mid_load_leave_no_half_written_case_and_retries_create_no_duplicates(platform):
    server = _start(platform, "sigkill")
    try:
        load = Load(server=server, requests=platform.requests)
        started = time.monotonic()
        threads = load.run(CLIENTS)
        killed = []
        for number, moment in enumerate(KILL_TIMES):
            time.sleep(max(0.0, started + moment - time.monotonic()))
            workers = _workers(server)
            victim = workers[number % len(workers)]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(max(0.0, started + LOAD_SECONDS - time.monotonic()))
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        acknowledged = [o for o in load.outcomes if o.number]
        lost = [o for o in load.outcomes if not o.number]
        assert len(killed) == len(KILL_TIMES) and acknowledged
        assert lost, "no request was cut off by a kill: the test proved nothing"

        by_key = assert_no_half_written_case(platform.database)
        for outcome in acknowledged:
            assert by_key.get(outcome.key) == [outcome.number]  # acknowledged: present exactly once, same number

        time.sleep(1.0)  # let gunicorn finish replacing the killed workers
        retried = [submit(server, o.spec, o.key) for o in lost]
        again = [submit(server, o.spec, o.key) for o in acknowledged[:5]]
    finally:
        server.stop()
    assert all(o.status in (200, 201) and o.number for o in retried), [o.failure for o in retried]
    assert [(o.status, o.number) for o in again] == [(200, o.number) for o in acknowledged[:5]]
    by_key = assert_no_half_written_case(platform.database)
    sent = {o.key for o in load.outcomes}
    assert {key: numbers for key, numbers in by_key.items() if key in sent} == {
        o.key: [o.number] for o in [*acknowledged, *retried]
    }  # each key sent: exactly one case, the one the client was (eventually) told about
    # A worker killed while rendering holds the message's lease (outbox.LEASE) until it expires; let it expire.
    platform.database.execute("UPDATE core_outboxmessage SET locked_until = NULL WHERE status = 'pending'")
    platform.drain()
    receipts = platform.database.query(
        "SELECT DISTINCT d.status FROM cases_casedocument d JOIN cases_case c ON c.id = d.case_id "
        "JOIN accounts_user u ON u.id = c.submitted_by_id WHERE u.username LIKE 'bench_s%'"
    )
    assert receipts == [("ready",)]  # a receipt whose rendering was killed is rendered once its lease ends
