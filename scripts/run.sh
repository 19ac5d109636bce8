#!/usr/bin/env bash
# Start the whole platform on this machine: migrate, demo data, periodic jobs, gunicorn on 127.0.0.1:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
py=.venv/bin/python

$py manage.py migrate --noinput
$py manage.py demo_seed
$py manage.py scheduler &
scheduler_pid=$!
trap 'kill $scheduler_pid 2>/dev/null || true' EXIT INT TERM

$py manage.py demo_accounts
workers=$(( $(nproc 2>/dev/null || echo 2) + 1 ))
printf '\n\033[1m通办已启动 / Tongban is running:\033[0m http://127.0.0.1:%s   (Ctrl+C 停止 / to stop)\n\n' "$PORT"
.venv/bin/gunicorn tongban.wsgi --chdir src --bind "127.0.0.1:${PORT}" --workers "$workers" \
  --access-logfile - --graceful-timeout 5 &
gunicorn_pid=$!
trap 'kill $gunicorn_pid $scheduler_pid 2>/dev/null || true' EXIT INT TERM
wait $gunicorn_pid
