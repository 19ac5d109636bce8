"""Bench scenarios for electronic licences (issue 7): public verification by identifier, the API and the page (what
scanning a licence's QR code opens), anonymous, each client going through licences of its own.

Data: `manage.py licences_generate --count 3000` after demo_seed (it runs licences_init's issuing path for real
licences and stores each one's seal check). The preparation (`python -m bench.scenarios_licences prepare <name>
--clients N --out FILE`, started by the runner in the server's environment) hands every client a sequence of
LICENCES_PER_CLIENT different identifiers (BENCH_LICENCES_PER_CLIENT, default 200; clients share licences only when
the library holds fewer than clients × that), first storing the seal check of any that was never verified, so the run
measures the steady state: one statement per verification, no cryptography. The scenario's own path is an identifier
with a wrong check character (answered 400), so the runner's probe sees the route without touching a licence.
"""

from __future__ import annotations

import os
import sys

from bench import prepare_cli

LICENCES_PER_CLIENT = int(os.environ.get("BENCH_LICENCES_PER_CLIENT", "200"))
MINIMUM_LICENCES = 100
PROBE_IDENTIFIER = "0"  # not an identifier: 400, never a licence


def api_path(identifier: str) -> str:
    return f"/api/v1/licences/{identifier}/verification"


def page_path(identifier: str) -> str:
    return f"/licences/verify/{identifier}/"


PATHS = {"verify-api": api_path, "verify-page": page_path}

# The fields of bench.scenarios.Scenario (built there).
LICENCE_SCENARIOS = (
    {
        "name": "licence-verify",
        "path": api_path(PROBE_IDENTIFIER),
        "prepare": "verify-api",
        "prepare_module": "bench.scenarios_licences",
        "description": "电子证照核验 API（免登录），每个客户端轮换自己的证照 / licence verification API by identifier, "
        "anonymous, each client over licences of its own",
    },
    {
        "name": "licence-verify-page",
        "path": page_path(PROBE_IDENTIFIER),
        "prepare": "verify-page",
        "prepare_module": "bench.scenarios_licences",
        "description": "电子证照核验页（扫码打开），每个客户端轮换自己的证照 / licence verification page "
        "(the QR code's target), each client over licences of its own",
    },
)


# ---------------------------------------------------------------------------------------------------------------
# Preparation side (Django)


def bench_identifiers(count: int) -> list[str]:
    """Up to `count` identifiers of licences in the library, their seal checks stored (as a first verification
    would), in a fixed order."""
    from tongban.licences.models import Licence
    from tongban.licences.verification import verification_store

    for licence in Licence.objects.filter(checked_at__isnull=True).order_by("pk")[:count]:
        verification_store(licence)
    return list(Licence.objects.order_by("pk").values_list("identifier", flat=True)[:count])


def _sequences(identifiers: list[str], clients: int, per_client: int) -> list[list[str]]:
    """Each client's identifiers: consecutive slices of the list, wrapping around when it is short."""
    return [
        [identifiers[(client * per_client + step) % len(identifiers)] for step in range(per_client)]
        for client in range(clients)
    ]


def prepare(name: str, clients: int) -> dict:
    """The request shapes for one scenario (or {"skip": reason}), the first of each client checked in-process."""
    from bench.scenarios_cases import _check, _get

    identifiers = bench_identifiers(clients * LICENCES_PER_CLIENT)
    if len(identifiers) < MINIMUM_LICENCES:
        return {"skip": f"证照库不足 {MINIMUM_LICENCES} 张：请先运行 manage.py licences_generate / too few licences"}
    path_of = PATHS[name]
    requests = []
    for mine in _sequences(identifiers, clients, LICENCES_PER_CLIENT):
        sequence = [{"path": path_of(identifier), "body": None} for identifier in mine]
        requests.append(_get(sequence[0]["path"]) | {"sequence": sequence})
    return {
        "requests": requests,
        "check": _check(requests),
        "rotation": f"{len(set(identifiers))} licences, {LICENCES_PER_CLIENT} per client",
    }


def main(argv: list[str]) -> int:
    """`prepare <name> --clients N --out FILE` (run by the bench runner)."""
    return prepare_cli.main(argv, prog="python -m bench.scenarios_licences", names=PATHS, prepare=prepare)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
