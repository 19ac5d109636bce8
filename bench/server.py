"""Start and stop the platform the way production runs it: migrate, then gunicorn sync workers on loopback."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import require_loopback

REPO_ROOT = Path(__file__).resolve().parents[1]
SRC = REPO_ROOT / "src"
HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


class BenchSetupError(RuntimeError):
    """The platform could not be prepared or started; the message says what failed."""


def cpu_count() -> int:
    """Cores this process may use (the container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def free_port(host: str = HOST) -> int:
    """A port nobody listens on now (the kernel picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for manage.py and gunicorn: the caller's, plus the ceiling flag and an importable bench.

    TONGBAN_ENV stays demo (DEBUG is always off in settings.py); production mode is refused because the ceiling
    views are an unauthenticated write endpoint and config.py will not enable them there.
    """
    env = dict(os.environ if base is None else base)
    if env.get("TONGBAN_ENV", "demo") != "demo":
        raise BenchSetupError(
            "压测以演示模式运行，请去掉 TONGBAN_ENV=production / the bench runs with TONGBAN_ENV=demo"
        )
    env["TONGBAN_ENV"] = "demo"
    env["TONGBAN_BENCH_CEILING"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = "tongban.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), str(SRC), env.get("PYTHONPATH", "")]))
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    completed = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchSetupError(f"{what} 失败 / failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def prepare_database(env: dict[str, str], *, seed: bool) -> str:
    """migrate (+ demo_seed when the command exists and seed is on), create the ceiling table; return the DB name."""
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput"], env, "migrate")
    if seed:
        commands = _run([python, "manage.py", "help", "--commands"], env, "manage.py help")
        if "demo_seed" in commands.split():
            _run([python, "manage.py", "demo_seed"], env, "demo_seed")
    _run([python, "-m", "bench.ceiling", "prepare"], env, "bench ceiling table")
    return _run([python, "-m", "bench.ceiling", "describe"], env, "database version").strip()


def cleanup_database(env: dict[str, str]) -> None:
    _run([sys.executable, "-m", "bench.ceiling", "drop"], env, "drop bench ceiling table")


@dataclass
class Server:
    """A running gunicorn: where it listens and how many workers it has."""

    process: subprocess.Popen
    host: str
    port: int
    workers: int

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it lingers; only the process group this runner started."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def start_gunicorn(env: dict[str, str], *, host: str = HOST, workers: int, log_path: Path) -> Server:
    """gunicorn tongban.wsgi with sync workers on <loopback host>:<free port>; wait until /healthz answers 200."""
    host = require_loopback(host)
    port = free_port(host)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tongban.wsgi",
            "--chdir",
            str(SRC),
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--graceful-timeout",
            "5",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() ends gunicorn and its workers and nothing else
    )
    server = Server(process=process, host=host, port=port, workers=workers)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchSetupError(f"gunicorn 启动失败 / exited with {process.returncode}; see {log_path}")
        if probe(host, port, "GET", "/healthz") == 200:
            return server
        time.sleep(0.2)
    server.stop()
    raise BenchSetupError(f"gunicorn 在 {START_TIMEOUT_S:.0f} 秒内未就绪 / not ready; see {log_path}")


def probe(host: str, port: int, method: str, path: str) -> int | None:
    """One request; the status code, or None when nothing answered."""
    connection = http.client.HTTPConnection(require_loopback(host), port, timeout=10)
    try:
        connection.request(method, path, body=b"" if method == "POST" else None)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()
