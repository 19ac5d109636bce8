#!/usr/bin/env bash
# Prepare everything Tongban needs on this machine; safe to run again (it only does what is missing).
#   scripts/bootstrap.sh          the platform (virtualenv, packages, CJK font)
#   scripts/bootstrap.sh test     also what the tests need (Debian chromium for the browser journeys)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-run}"

say() { printf '\033[1m[通办]\033[0m %s\n' "$*"; }

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

apt_install() {
  # Installs Debian packages when we are root with apt; otherwise says exactly what to install and returns 1.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "安装系统软件包 / installing system packages: $*"
    if [ ! -f /tmp/.tongban-apt-updated ]; then
      apt-get update -qq && touch /tmp/.tongban-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    return 0
  fi
  say "请先安装系统软件包 / please install: sudo apt-get install $*"
  return 1
}

python_bin=$(find_python) || { say "需要 Python 3.11 或更高版本 / Python 3.11+ is required"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "创建虚拟环境 .venv / creating virtualenv .venv"
  "$python_bin" -m venv .venv
fi

stamp=".venv/.tongban-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "安装 Python 依赖 / installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c 'import tongban, django, ninja, gmalglib' 2>/dev/null || {
    say "Python 依赖安装失败 / pip install failed"; exit 1; }
  rm -f .venv/.tongban-installed-*
  touch "$stamp"
fi

# A CJK font: generated PDFs (receipts, notices, licences) embed it.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt_install fonts-wqy-zenhei fontconfig || say "生成 PDF 需要中文字体 / PDFs need a CJK font (fonts-wqy-zenhei)"
fi

if [ "$purpose" = test ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    apt_install chromium || say "未安装 chromium：浏览器测试将被跳过 / chromium missing: browser journeys will be skipped"
  fi
  if ! command -v pdfsig >/dev/null 2>&1; then
    apt_install poppler-utils || true
  fi
  # zbarimg scans the QR code of a rendered licence (licences/tests/test_pdf_batch.py)
  if ! command -v zbarimg >/dev/null 2>&1; then
    apt_install zbar-tools || true
  fi
fi
mkdir -p var
