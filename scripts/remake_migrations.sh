#!/usr/bin/env bash
# Until the first release, each app keeps one generated 0001_initial migration: regenerate it after a model change.
# Hand-written migrations (0002+, e.g. the audit triggers) are kept and must depend only on 0001_initial.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f src/tongban/*/migrations/0001_initial.py
.venv/bin/python manage.py makemigrations core accounts
