"""The bench report: the machine and run it describes, a table of figures and ratios, and an optional JSON file."""

from __future__ import annotations

import json
import math
import platform
import subprocess
from datetime import datetime
from pathlib import Path

from bench.stats import ScenarioResult, ceiling_ratios

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"


def machine_description() -> dict[str, str]:
    """CPU model, cores, memory, OS and Python: what a reader needs to compare figures across machines."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpu_model": cpu_model or platform.processor() or "unknown",
        "memory": memory or "unknown",
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit() -> str:
    """The commit measured, with "+dirty" when the working tree has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def _number(value: float, digits: int) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def format_table(results: list[ScenarioResult]) -> str:
    """A Markdown table (readable in a terminal, pasteable into docs/performance.md)."""
    ratios = ceiling_ratios(results)
    lines = [
        "| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors | ÷ constant | ÷ insert | generator CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        if result.skipped:
            lines.append(f"| {result.scenario} | {result.concurrency} | skipped: {result.skipped} ||||||||")
            continue
        to_constant, to_insert = ratios[(result.scenario, result.concurrency)]
        errors = str(result.errors)
        if result.error_kinds:
            errors += " (" + ", ".join(f"{kind}×{count}" for kind, count in sorted(result.error_kinds.items())) + ")"
        cpu = "—" if math.isnan(result.loadgen_cpu) else f"{result.loadgen_cpu:.0%}"
        lines.append(
            f"| {result.scenario} | {result.concurrency} | {_number(result.rps, 0)} | {_number(result.p50_ms, 1)} "
            f"| {_number(result.p95_ms, 1)} | {_number(result.p99_ms, 1)} | {errors} "
            f"| {_number(to_constant, 2)} | {_number(to_insert, 2)} | {cpu} |"
        )
    return "\n".join(lines)


def format_header(meta: dict) -> str:
    machine = meta["machine"]
    return "\n".join(
        [
            f"Tongban bench — {meta['date']} — commit {meta['commit']}",
            f"machine: {machine['cpu_model']}, {meta['cores']} cores, {machine['memory']} RAM; {machine['os']}; "
            f"Python {machine['python']}; load average before the run {meta['load_before']}",
            f"server: gunicorn sync × {meta['workers']} workers on 127.0.0.1; database: {meta['database']}",
            f"each scenario: {meta['warmup_s']:g} s warm-up, then {meta['duration_s']:g} s "
            f"(at most {meta['max_requests']} requests)",
        ]
    )


def write_json(meta: dict, results: list[ScenarioResult], path: Path | None) -> Path:
    """Save the run (meta + every figure + ratios) as JSON; default name under bench/results/ (gitignored)."""
    if path is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = RESULTS_DIR / f"{stamp}-{meta['database'].split()[0].lower()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    ratios = ceiling_ratios(results)
    rows = []
    for result in results:
        to_constant, to_insert = ratios[(result.scenario, result.concurrency)]
        row = result.as_dict() | {"ratio_to_constant": to_constant, "ratio_to_insert": to_insert}
        rows.append(
            {key: (None if isinstance(value, float) and math.isnan(value) else value) for key, value in row.items()}
        )
    path.write_text(json.dumps({"meta": meta, "results": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
