"""`python -m bench`: start the platform as production would, drive each scenario, print figures and ratios.

Example: python -m bench --scenario home --concurrency 8,32 --duration 15 --json
The ceiling scenarios always run too (at every concurrency), since every ratio is to them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bench import server as bench_server
from bench.loadgen import HostRefused, require_loopback
from bench.report import RESULTS_DIR, format_header, format_table, git_commit, machine_description, write_json
from bench.scenarios import SCENARIOS, Scenario, select_scenarios
from bench.scenarios_cases import prepare_requests
from bench.stats import ScenarioResult, skipped, summarise

MAX_DURATION_S = 600
MAX_CONCURRENCY = 512


def _positive_ints(raw: str) -> list[int]:
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为逗号分隔的正整数 / comma-separated positive integers: {raw!r}") from None
    if not values or any(value < 1 or value > MAX_CONCURRENCY for value in values):
        raise argparse.ArgumentTypeError(f"并发数应在 1..{MAX_CONCURRENCY} / concurrency must be 1..{MAX_CONCURRENCY}")
    return values


def _duration(raw: str) -> float:
    value = float(raw)
    if not 0 < value <= MAX_DURATION_S:
        raise argparse.ArgumentTypeError(
            f"时长应在 0..{MAX_DURATION_S} 秒 / duration must be within 0..{MAX_DURATION_S} s"
        )
    return value


def _loopback(raw: str) -> str:
    try:
        return require_loopback(raw)
    except HostRefused as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="通办压测 / Tongban load bench: gunicorn as in production, scenarios vs. the framework ceilings.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help=f"scenario(s), repeat or comma-separate; one of: {', '.join(SCENARIOS)}, all (default: all)",
    )
    parser.add_argument("--concurrency", type=_positive_ints, default=[16], help="clients, e.g. 16 or 8,32")
    parser.add_argument("--duration", type=_duration, default=20.0, help="measured seconds per scenario (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each scenario")
    parser.add_argument("--max-requests", type=int, default=500_000, help="request budget per scenario")
    parser.add_argument(
        "--workers", type=int, default=bench_server.cpu_count(), help="gunicorn workers (default: cores)"
    )
    parser.add_argument("--host", type=_loopback, default=bench_server.HOST, help="loopback address only")
    parser.add_argument("--no-seed", action="store_true", help="skip manage.py demo_seed before the run")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also save JSON (default under bench/results/)",
    )
    return parser


def run_scenario(
    scenario: Scenario, *, server: bench_server.Server, concurrency: int, args: argparse.Namespace
) -> ScenarioResult:
    """Probe the route once, then load it from a separate generator process and summarise what it saw."""
    status = bench_server.probe(server.host, server.port, scenario.method, scenario.path)
    if status == 404:
        if scenario.ceiling:
            raise bench_server.BenchSetupError(
                f"{scenario.path} 返回 404：天花板视图未挂载 / ceiling views not mounted"
            )
        return skipped(scenario=scenario.name, concurrency=concurrency, reason=f"{scenario.path} 404")
    requests_file = ""
    if scenario.prepare:
        env = bench_server.server_environment()
        requests_file, reason = prepare_requests(scenario, concurrency=concurrency, env=env, cwd=bench_server.REPO_ROOT)
        if reason:
            return skipped(scenario=scenario.name, concurrency=concurrency, reason=reason)
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        f"--host={server.host}",
        f"--port={server.port}",
        f"--method={scenario.method}",
        f"--path={scenario.path}",
        f"--concurrency={concurrency}",
        f"--duration={args.duration}",
        f"--max-requests={args.max_requests}",
        f"--warmup={args.warmup}",
        *([f"--requests={requests_file}"] if requests_file else []),
    ]
    completed = subprocess.run(
        command,
        cwd=bench_server.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=args.duration + args.warmup + 120,
        check=False,
    )
    if completed.returncode != 0:
        raise bench_server.BenchSetupError(f"load generator failed: {completed.stderr}")
    raw = json.loads(completed.stdout)
    return summarise(
        scenario=scenario.name,
        concurrency=concurrency,
        latencies_s=raw["latencies_s"],
        error_kinds=raw["error_kinds"],
        elapsed_s=raw["elapsed_s"],
        loadgen_cpu=raw["loadgen_cpu"],
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        scenarios = select_scenarios(
            [name.strip() for item in args.scenario for name in item.split(",") if name.strip()]
        )
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    # Other work on the machine skews every figure; the 1-minute load average before the run says how much there was.
    load_before = round(os.getloadavg()[0], 2)
    try:
        env = bench_server.server_environment()
        print("migrate / seed / prepare ceiling table …", file=sys.stderr)
        database = bench_server.prepare_database(env, seed=not args.no_seed)
    except bench_server.BenchSetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    results: list[ScenarioResult] = []
    server = None
    try:
        server = bench_server.start_gunicorn(
            env, host=args.host, workers=args.workers, log_path=RESULTS_DIR / f"gunicorn-{stamp}.log"
        )
        for concurrency in args.concurrency:
            for scenario in scenarios:
                print(f"{scenario.name} × {concurrency} clients …", file=sys.stderr, flush=True)
                result = run_scenario(scenario, server=server, concurrency=concurrency, args=args)
                results.append(result)
                print(
                    f"  {result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms, {result.errors} errors"
                    if not result.skipped
                    else f"  skipped: {result.skipped}",
                    file=sys.stderr,
                )
    except (bench_server.BenchSetupError, subprocess.TimeoutExpired) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        try:
            bench_server.cleanup_database(env)
        except bench_server.BenchSetupError as exc:
            print(f"warning: bench table not dropped: {exc}", file=sys.stderr)

    meta = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine_description(),
        "cores": bench_server.cpu_count(),
        "load_before": load_before,
        "workers": args.workers,
        "database": database,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "max_requests": args.max_requests,
        "command": "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    print()
    print(format_header(meta))
    print()
    print(format_table(results))
    if args.json is not None:
        path = write_json(meta, results, Path(args.json) if args.json else None)
        print(f"\nJSON: {path}")
    return 0
