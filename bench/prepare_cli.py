"""The command line of the in-process preparations: `python -m bench.scenarios_<x> prepare <name> --clients N --out
FILE`, which the runner calls before a scenario (bench/scenarios_cases.py, prepare_requests). One place for the
arguments, Django's set-up and where the prepared requests are written."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path


def prepare_parser(prog: str, names: Iterable[str]) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser with its `prepare` sub-command; a module may add sub-commands of its own to the second value."""
    parser = argparse.ArgumentParser(prog=prog)
    commands = parser.add_subparsers(dest="action", required=True)
    prepare = commands.add_parser("prepare")
    prepare.add_argument("name", choices=sorted(set(names)))
    prepare.add_argument("--clients", type=int, default=16)
    prepare.add_argument("--out", required=True)
    return parser, commands


def django_setup() -> None:
    """Django with the platform's settings (imported late: the runner imports these modules without Django)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    django.setup()


def write_prepared(prepare: Callable[[str, int], dict], args: argparse.Namespace) -> int:
    """Run the module's `prepare(name, clients)` and write its requests where the runner reads them."""
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the in-process check's host name
    Path(args.out).write_text(json.dumps(prepare(args.name, args.clients), ensure_ascii=False), encoding="utf-8")
    return 0


def main(argv: list[str], *, prog: str, names: Iterable[str], prepare: Callable[[str, int], dict]) -> int:
    """`prepare <name> --clients N --out FILE`, for a module with no other sub-command."""
    parser, _commands = prepare_parser(prog, names)
    args = parser.parse_args(argv)
    django_setup()
    return write_prepared(prepare, args)
