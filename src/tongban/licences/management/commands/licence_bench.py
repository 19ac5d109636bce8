"""licence_bench: issue N licences through the real issuing service and render them with W worker processes, then
verify a sample (A BENCH TOOL ONLY; refused in production). docs/performance.md, "Electronic licences — issuing".

Two modes (`--mode`):

**pipeline** (the default) — each of W processes takes its share of the N holders and, for each, calls
`services.licence_issue` and at once delivers that licence's `licences.render_pdf` message with the Celery task
`deliver_outbox_message`: what a Celery worker does when a batch import enqueues one issue job per licence and the
render follows. It is the default because it is how a batch runs in production: issuing and rendering overlap on the
same cores, so one process renders while another waits for the issuer's row lock and serial counter, which the
sequential phases leave idle (their sum understates a batch). The timed job is one licence, issue then render.

**phases** — two timed phases, to see each cost on its own:

1. **issue** — W processes call `services.licence_issue` for their share of the N generated holders: numbering,
   canonical data, SM2 seal signature, audit row and the `licences.render_pdf` outbox message, one transaction each
   (in production: the review's grant, in a web worker). The messages are not handed to Celery while issuing, so
   they wait in the outbox table, as they wait in the broker's queue while every worker is busy.
2. **render** — W processes deliver those messages with the Celery task `deliver_outbox_message` (what each Celery
   worker process runs for a message: claim, render, PAdES-sign, store the file, audit, mark done).

The batch rate is N / (issue time + render time): the same cores do both.

In both modes each worker process warms up first (the CJK font, the seal picture, the signer; production workers are
long-lived; the pipeline's workers warm up on one licence issued and rendered before the clock, outside the batch) and
the clock starts when all are ready.
Then `--verify` licences of the batch are checked as a relying party would: the stored file's SHA-256, pyHanko's
validation against the platform ECDSA root (intact, valid, trusted, whole file, the issuer's PDF certificate),
pdfsig when installed, and the seal signature over the data with its chain; any failure fails the command, so a
broken fast path cannot pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple
from unittest import mock

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from tongban.celery import app as celery_app
from tongban.config import CONFIG
from tongban.core import outbox
from tongban.core.models import OutboxMessage
from tongban.core.tasks import deliver_outbox_message
from tongban.licences import bench_data, selectors, services
from tongban.licences.models import CertificatePurpose, Licence, LicenceType, RenderStatus
from tongban.licences.pdf import outside_event_loop, render_licence_pdf, sign_pdf
from tongban.licences.signers import signer_for

BENCH_TYPE_CODE = "JYBENCH"  # its own type, so the verification bench's licences (type JY) stay as they are


# ---------------------------------------------------------------------------------------------------------------
# Bench data


def bench_licence_type() -> LicenceType:
    """The issuing bench's own type (JYBENCH), so the verification bench's licences (type JY) stay as they are."""
    return bench_data.bench_licence_type(BENCH_TYPE_CODE)


# ---------------------------------------------------------------------------------------------------------------
# The jobs (each runs in a worker process, or in this process with --workers 0)


@contextmanager
def messages_wait_in_the_outbox(held: list[int] | None = None):
    """While issuing, hand no outbox message to Celery: they wait in the table for the render phase, or for the
    pipeline job to deliver them (with no broker configured Celery runs eagerly, and each licence would be rendered
    inside its issuing call). The ids of the messages recorded are added to `held` (as they are enqueued: the tests'
    transactions never commit, so dispatch would not see them)."""
    enqueue = outbox.enqueue

    def enqueue_and_hold(topic: str, payload: dict) -> OutboxMessage:
        message = enqueue(topic, payload)
        if held is not None:
            held.append(message.pk)
        return message

    with (
        mock.patch.object(outbox, "dispatch", lambda *message_ids: None),
        mock.patch.object(outbox, "enqueue", enqueue_and_hold),
    ):
        yield


class Timing(NamedTuple):
    """One job: what it was about, its latency, and the CPU it took in the worker and in the database server."""

    key: int  # the licence id
    seconds: float
    cpu_s: float
    database_cpu_s: float | None
    outcome: str = ""


def database_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process, when the server runs on this machine
    (read from /proc); None elsewhere. The clock ticks at 10 ms, so only sums over many jobs mean something."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
            return None
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _timed(key_of, work) -> Timing:
    database, started, cpu = database_cpu(), time.perf_counter(), time.process_time()
    key, outcome = key_of(work())
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database_after = database_cpu()
    database = None if database is None or database_after is None else database_after - database
    return Timing(key, seconds, cpu, database, outcome)


def _issue(job: tuple[int, int, int], held: list[int]) -> Licence:
    """Issue the index-th licence of the batch; its render message's id is added to `held`."""
    index, seed, licence_type_id = job
    holder, fields = bench_data.holder_and_fields(index, seed)
    licence_type = LicenceType.objects.select_related("issuer").get(pk=licence_type_id)
    with messages_wait_in_the_outbox(held):
        return services.licence_issue(actor=None, licence_type=licence_type, holder=holder, fields=fields)


def issue_one(job: tuple[int, int, int]) -> Timing:
    """Issue the index-th licence of the batch (its render message waits in the outbox)."""
    return _timed(lambda licence: (licence.pk, ""), lambda: _issue(job, []))


def render_one(job: tuple[int, int]) -> Timing:
    """Deliver one render message (message id, licence id) as a Celery worker does (outcome "done" when the PDF was
    stored)."""
    message_id, licence_id = job
    return _timed(lambda outcome: (licence_id, outcome), lambda: deliver_outbox_message(message_id))


def issue_and_render_one(job: tuple[int, int, int]) -> Timing:
    """Issue the index-th licence, then deliver its render message at once (outcome "done" when the PDF was stored)."""

    def issue_and_render() -> tuple[int, str]:
        held: list[int] = []
        licence = _issue(job, held)
        if len(held) != 1:
            return licence.pk, f"{len(held)} render messages"
        return licence.pk, deliver_outbox_message(held[0])

    return _timed(lambda result: result, issue_and_render)


def warm_up_licence(licence_type: LicenceType, index: int, seed: int) -> Licence:
    """Issue and render, in this process and before the clock, a licence outside the batch (the `index`-th holder):
    the pipeline's workers warm up on it, having no licence of the batch before their first job."""
    held: list[int] = []
    licence = _issue((index, seed, licence_type.pk), held)
    deliver_outbox_message(held)
    return licence


def warm_up_issuing(licence_type_id: int) -> None:
    """Open the connection and sign once with the seal key (the first SM2 signature of a process sets things up)."""
    licence_type = LicenceType.objects.select_related("issuer").get(pk=licence_type_id)
    seal = services.issuer_seal(licence_type.issuer)
    signer_for(seal.certificate.key).sign(b"licence_bench warm-up")


def warm_up_rendering(licence_id: int) -> None:
    """What a Celery worker has done before its first message (its app finalised, the outbox handlers imported),
    then render and sign one licence without storing it: the font is loaded, the seal picture and signer prepared."""
    celery_app.finalize(auto=True)
    outbox.get_handler(services.RENDER_TOPIC)
    licence = Licence.objects.select_related("licence_type", "issuer", "seal").get(pk=licence_id)
    sign_pdf(render_licence_pdf(licence), _pdf_certificate(licence))


def _pdf_certificate(licence: Licence):
    certificate = selectors.certificate_at(licence.issuer, CertificatePurpose.PDF, licence.signed_at)
    return certificate or selectors.certificate_current(licence.issuer, CertificatePurpose.PDF)


def warm_up_pipeline(licence_id: int) -> None:
    """Both warm-ups: the pipeline's worker issues and renders."""
    warm_up_issuing(Licence.objects.values_list("licence_type_id", flat=True).get(pk=licence_id))
    warm_up_rendering(licence_id)


_WARM_UPS = {"issue": warm_up_issuing, "render": warm_up_rendering, "pipeline": warm_up_pipeline}


def _worker_start(barrier, warm_up: str, argument: int) -> None:
    connections.close_all()  # never share the parent's connection
    _WARM_UPS[warm_up](argument)
    barrier.wait()


@dataclass
class Phase:
    """One timed phase: its wall time and its jobs."""

    name: str
    wall_s: float
    timings: list[Timing]

    def summary(self) -> dict:
        count = len(self.timings)
        database = [timing.database_cpu_s for timing in self.timings]
        return {
            "phase": self.name,
            "count": count,
            "wall_s": round(self.wall_s, 3),
            "per_second": round(count / self.wall_s, 1),
            **latency_summary([timing.seconds for timing in self.timings]),
            "worker_cpu_ms": round(1000 * statistics.fmean(timing.cpu_s for timing in self.timings), 2),
            "database_cpu_ms": None if None in database else round(1000 * statistics.fmean(database), 2),
        }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 400 values is the 396th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def latency_summary(seconds: list[float]) -> dict:
    if not seconds:
        return {}
    return {
        "p50_ms": round(1000 * percentile(seconds, 0.50), 1),
        "p99_ms": round(1000 * percentile(seconds, 0.99), 1),
        "max_ms": round(1000 * max(seconds), 1),
    }


def run_phase(name: str, func, jobs: list, *, workers: int, warm_up: str, warm_up_argument: int) -> Phase:
    """Run `func` over `jobs` with `workers` processes (0: here), after every process has warmed up."""
    if workers == 0:
        _WARM_UPS[warm_up](warm_up_argument)
        started = time.perf_counter()
        results = [func(job) for job in jobs]
    else:
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(workers + 1)
        connections.close_all()  # the children open their own
        with context.Pool(workers, initializer=_worker_start, initargs=(barrier, warm_up, warm_up_argument)) as pool:
            barrier.wait()
            started = time.perf_counter()
            results = list(pool.imap_unordered(func, jobs, chunksize=1))
    return Phase(name, time.perf_counter() - started, results)


# ---------------------------------------------------------------------------------------------------------------
# Verification of a sample


@dataclass
class Check:
    """What the verification of one licence found (empty `problems`: all good)."""

    identifier: str
    problems: list[str] = field(default_factory=list)


def _pyhanko_problems(pdf: bytes, licence: Licence) -> list[str]:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    root = selectors.platform_ca(CertificatePurpose.ECDSA_CA)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(bytes(root.der))], allow_fetching=False)
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    if len(signatures) != 1:
        return [f"pyhanko: {len(signatures)} signatures"]
    status = outside_event_loop(lambda: validate_pdf_signature(signatures[0], context))
    problems = [
        f"pyhanko: {name}"
        for name, ok in (
            ("intact", status.intact),
            ("valid", status.valid),
            ("trusted", status.trusted),
            ("coverage", status.coverage == SignatureCoverageLevel.ENTIRE_FILE),
            ("signer", status.signing_cert.dump() == bytes(_pdf_certificate(licence).der)),
        )
        if not ok
    ]
    return problems


def _pdfsig_problems(pdf: bytes) -> list[str]:
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        return []
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        output = subprocess.run([pdfsig, handle.name], capture_output=True, text=True, check=False).stdout  # noqa: S603
    expected = ("Signature Validation: Signature is Valid.", "Total document signed")
    return [f"pdfsig: no '{line}'" for line in expected if line not in output]


def verify_licence(licence: Licence) -> Check:
    """The checks a relying party makes, on the stored file and the stored data."""
    from tongban.licences.verification import licence_seal_report

    check = Check(licence.identifier)
    if licence.render_status != RenderStatus.DONE:
        check.problems.append(f"render_status {licence.render_status}: {licence.render_error}")
        return check
    with licence.pdf.open("rb") as handle:
        pdf = handle.read()
    if hashlib.sha256(pdf).hexdigest() != licence.pdf_sha256:
        check.problems.append("pdf_sha256")
    check.problems += _pyhanko_problems(pdf, licence)
    check.problems += _pdfsig_problems(pdf)
    seal = licence_seal_report(licence)
    if not (seal.signature_valid and seal.chain_valid):
        check.problems.append(f"seal: {seal.problems}")
    return check


# ---------------------------------------------------------------------------------------------------------------
# Where and when


def _database() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # e.g. 150020
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    return connection.vendor


def environment() -> dict:
    """What a reader needs to compare runs: when, which commit, which database, how many cores, how busy."""
    from bench.report import git_commit, machine_description  # the load bench's own (a checkout's tool, like this)

    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(),
        "database": _database(),
        "cpu": machine_description()["cpu_model"],
        "cores": os.cpu_count(),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
    }


def run_pipeline(jobs: list, licence_type: LicenceType, workers: int, seed: int) -> list[Phase]:
    """One timed phase: each job issues a licence and delivers its render message."""
    warm_up = warm_up_licence(licence_type, len(jobs), seed)
    return [
        run_phase(
            "pipeline", issue_and_render_one, jobs, workers=workers, warm_up="pipeline", warm_up_argument=warm_up.pk
        )
    ]


def run_phases(jobs: list, licence_type: LicenceType, workers: int, seed: int) -> list[Phase]:
    """Two timed phases: issue every licence (the render messages wait in the outbox), then deliver the messages."""
    issue = run_phase("issue", issue_one, jobs, workers=workers, warm_up="issue", warm_up_argument=licence_type.pk)
    licence_ids = [timing.key for timing in issue.timings]
    messages = (  # (message id, licence id)
        OutboxMessage.objects.filter(
            topic=services.RENDER_TOPIC, status=OutboxMessage.Status.PENDING, payload__licence_id__in=licence_ids
        )
        .order_by("pk")
        .values_list("pk", "payload__licence_id")
    )
    if len(messages) != len(jobs):
        raise CommandError(f"待生成的 PDF 消息应有 {len(jobs)} 条，实际 {len(messages)} 条")
    render = run_phase(
        "render", render_one, list(messages), workers=workers, warm_up="render", warm_up_argument=licence_ids[0]
    )
    return [issue, render]


MODES = {"pipeline": run_pipeline, "phases": run_phases}


class Command(BaseCommand):
    help = "签发 N 张证照并用 W 个工作进程生成签名 PDF，报告每秒张数与延迟，并抽样核验（仅用于性能测试）"

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=400, help="签发张数（默认 400）")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="工作进程数（默认为 CPU 核数；0 = 本进程）"
        )
        parser.add_argument(
            "--mode",
            choices=MODES,
            default="pipeline",
            help="pipeline：每个进程逐张签发并随即生成 PDF（默认，同生产批量签发）；phases：先全部签发，再全部生成",
        )
        parser.add_argument("--verify", type=int, default=10, help="抽样核验张数（默认 10）")
        parser.add_argument("--seed", type=int, default=2026, help="生成持证人的随机种子")
        parser.add_argument("--json", dest="json_path", default="", help="另将结果写入此 JSON 文件")

    def handle(self, *args, count: int, workers: int, mode: str, verify: int, seed: int, json_path: str, **options):
        if CONFIG.production:
            raise CommandError("licence_bench 只用于性能测试，生产环境拒绝执行")
        if count <= 0 or workers < 0 or verify < 0:
            raise CommandError("--count 必须大于 0，--workers 与 --verify 不能为负数")
        licence_type = bench_licence_type()
        services.issuer_seal(licence_type.issuer)  # KEYS_MISSING before licences_init
        env = environment()
        jobs = [(index, seed, licence_type.pk) for index in range(count)]
        phases = MODES[mode](jobs, licence_type, workers, seed)
        env["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
        # The last phase renders: its outcome is the delivery's.
        not_done = [timing for timing in phases[-1].timings if timing.outcome != outbox.Outcome.DONE.value]
        report = self._report(env, count, workers, mode, phases)
        report["verified"] = self._verify([timing.key for timing in phases[0].timings], verify, seed)
        self._print(report)
        if json_path:
            Path(json_path).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        failed = [check for check in report["verified"] if check["problems"]]
        if not_done or failed:
            raise CommandError(f"未完成 {len(not_done)} 条，核验失败 {len(failed)} 张：{failed[:3]}")

    def _report(self, env, count, workers, mode: str, timed: list[Phase]) -> dict:
        """The figures; a licence's own time is its issuing call plus its message's delivery, in one job (pipeline)
        or in two (phases)."""
        total_wall = sum(phase.wall_s for phase in timed)
        end_to_end: dict[int, float] = {}
        for timing in (timing for phase in timed for timing in phase.timings):
            end_to_end[timing.key] = end_to_end.get(timing.key, 0.0) + timing.seconds
        phases = [phase.summary() for phase in timed]
        database = [phase["database_cpu_ms"] for phase in phases]
        return {
            "environment": env,
            "count": count,
            "workers": workers,
            "mode": mode,
            "batch_per_second": round(count / total_wall, 1),
            "batch_wall_s": round(total_wall, 3),
            "phases": phases,
            "per_licence": latency_summary(list(end_to_end.values())),
            "per_licence_worker_cpu_ms": round(sum(phase["worker_cpu_ms"] for phase in phases), 2),
            "per_licence_database_cpu_ms": None if None in database else round(sum(database), 2),
        }

    def _verify(self, licence_ids: list[int], verify: int, seed: int) -> list[dict]:
        sample = random.Random(seed).sample(licence_ids, min(verify, len(licence_ids)))  # noqa: S311
        licences = Licence.objects.select_related("licence_type", "issuer", "seal").filter(pk__in=sample)
        return [asdict(verify_licence(licence)) for licence in licences.order_by("pk")]

    def _print(self, report: dict) -> None:
        env = report["environment"]
        self.stdout.write(
            f"{env['date_utc']} UTC  commit {env['commit']}  {env['database']}  {env['cores']} cores  {env['cpu']}\n"
            f"load average before {env['load_average_before']}, after {env['load_average_after']}\n"
            f"{report['count']} licences, {report['workers']} worker processes, mode {report['mode']}"
        )
        for phase in report["phases"] if len(report["phases"]) > 1 else []:  # the batch line says it all for one
            self.stdout.write(
                f"  {phase['phase']:<7} {phase['per_second']:>7} /s  wall {phase['wall_s']:>7} s  "
                f"p50 {phase['p50_ms']} ms  p99 {phase['p99_ms']} ms  max {phase['max_ms']} ms  "
                f"CPU: worker {phase['worker_cpu_ms']} ms, database {phase['database_cpu_ms']} ms each"
            )
        per = report["per_licence"]
        self.stdout.write(
            f"  batch   {report['batch_per_second']:>7} /s  wall {report['batch_wall_s']:>7} s  "
            f"per licence (issue + render) p50 {per['p50_ms']} ms  p99 {per['p99_ms']} ms  "
            f"CPU: worker {report['per_licence_worker_cpu_ms']} ms, database {report['per_licence_database_cpu_ms']} ms"
        )
        verified = report["verified"]
        bad = [check for check in verified if check["problems"]]
        self.stdout.write(f"  verified {len(verified)} licences: {len(verified) - len(bad)} good, {len(bad)} bad")
        for check in bad:
            self.stdout.write(f"    {check['identifier']}: {'; '.join(check['problems'])}")
