"""Bench scenarios for cases (issue 5): apply, 我的办件, the pre-review worklist and the anonymous lookup.

Unlike the catalogue scenarios these need someone signed in, request bodies and a fresh Idempotency-Key per request,
so each names a *preparation*. Before the scenario runs, the runner calls `python -m bench.scenarios_cases prepare
<name> --clients N --out FILE` in the server's environment; that process (Django set up, same database) signs the
people in through the platform's own session_start, stores their uploads through cases/uploads.py, picks the cases,
sends each prepared request once in-process to check it answers 2xx (and counts its SQL statements), and writes the
request shapes — one per client — to FILE for the load generator. Client i repeats request i (mod the number
prepared); a scenario with a `unique_header` gets a new random value of that header on every request.

Data: `my-cases` and `case-lookup` use the cases made by `manage.py cases_generate` (persons with ~50 cases, cases
received recently); without them they are reported as skipped. `case-submit` makes its own applicants
(bench_s000001…, L2), one per client, with three uploads each, and rotates every client over the demo county's items
whose application takes three materials (see `submit_items`): a case number has a 4-digit daily serial per item, so
one item gives 9 999 submissions a day, which a run at the target rate would use up in half a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench import prepare_cli

if TYPE_CHECKING:
    from bench.scenarios import Scenario

SUBMITTER_PREFIX = "bench_s"
SUBMIT_MATERIALS = 3  # the submission: form answers + 3 already-uploaded materials
SERIALS_LEFT_MIN = 1_000  # an item with fewer case numbers left today is left out of the rotation
BENCH_USCC = "91330122MA2H0U0X1B"  # any well-formed 统一社会信用代码 for the forms' enterprise fields
MY_CASES_RANGE = (45, 55)  # a person with about 50 cases
CLERK = "reviewer_sun"  # the demo county market regulation bureau's pre-review clerk
LOOKUP_LIMIT_NEEDED = 1_000_000  # the per-IP lookup limit must not turn the bench into a stream of 429s
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The fields of bench.scenarios.Scenario (built there, so this module imports nothing of the bench's).
# case-submit comes last: every submission is a new 待预审 case of reviewer_sun's bureau, so run before the worklist
# scenarios it would lengthen their list (and its count) by a few thousand cases per run.
CASE_SCENARIOS = (
    {
        "name": "my-cases",
        "path": "/cases/mine/",
        "prepare": "my-cases-page",
        "description": "我的办件页（约 50 件的申请人）/ 我的办件 page of a person with ~50 cases",
    },
    {
        "name": "my-cases-api",
        "path": "/api/v1/cases/mine",
        "prepare": "my-cases-api",
        "description": "我的办件 API（约 50 件，会话登录）/ my cases API, ~50 cases, session",
    },
    {
        "name": "clerk-worklist",
        "path": "/workbench/cases/?list=pre_review",
        "prepare": "worklist-page",
        "description": "预审工作台 待预审 / pre-review worklist page of reviewer_sun",
    },
    {
        "name": "clerk-worklist-api",
        "path": "/api/v1/cases/worklist?list=pre_review",
        "prepare": "worklist-api",
        "description": "预审清单 API 待预审 / pre-review worklist API of reviewer_sun",
    },
    {
        "name": "case-lookup",
        "path": "/api/v1/cases/lookup",
        "prepare": "lookup",
        "description": "免登录进度查询：办件编号 + 查询密码 / anonymous lookup by number and query code",
    },
    {
        "name": "case-submit",
        "path": "/api/v1/cases",
        "method": "POST",
        "prepare": "submit",
        "description": "提交申请 API：表单 + 3 份已上传材料，每次新的 Idempotency-Key，会话登录 / "
        "submit an application (answers + 3 uploaded materials), new Idempotency-Key each time, session",
    },
)


# ---------------------------------------------------------------------------------------------------------------
# Runner side (no Django here)


def prepare_requests(scenario: Scenario, *, concurrency: int, env: dict[str, str], cwd: Path) -> tuple[str, str]:
    """Run the scenario's preparation in the server's environment: (path of the requests file, "") or ("", why not)."""
    out = Path(tempfile.mkstemp(prefix=f"bench-{scenario.name}-", suffix=".json")[1])
    completed = subprocess.run(
        [
            *(sys.executable, "-m", scenario.prepare_module, "prepare", scenario.prepare),
            *(f"--clients={concurrency}", f"--out={out}"),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        return "", f"preparation failed: {completed.stderr.strip()[-2000:]}"
    prepared = json.loads(out.read_text(encoding="utf-8"))
    if prepared.get("skip"):
        return "", prepared["skip"]
    print(f"  prepared: {prepared.get('check', '')}", file=sys.stderr)
    return str(out), ""


# ---------------------------------------------------------------------------------------------------------------
# Preparation side (Django)


def _session_headers(user) -> dict[str, str]:
    """Sign `user` in through the platform's session_start; the cookies and CSRF header a browser would send."""
    from django.conf import settings
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import RequestFactory
    from django.utils.crypto import get_random_string

    from tongban.accounts.second_factor import second_factor_required
    from tongban.accounts.signin import session_start
    from tongban.accounts.views_staff import VERIFIED

    request = RequestFactory().post("/accounts/sign-in/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="tongban-bench")
    SessionMiddleware(lambda _request: None).process_request(request)
    session_start(request, user, method="password")
    if second_factor_required(user):
        request.session[VERIFIED] = True  # as the dynamic-code step marks a staff session (views_staff)
    request.session.save()
    csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    cookie = f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return {"Cookie": cookie, "X-CSRFToken": csrf}


def _check(requests: list[dict], unique_header: str = "") -> str:
    """Send each prepared request once in-process, and the first one's every further step; raise if one fails;
    the status and SQL count of the first."""
    import uuid

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    first_steps = requests[0].get("sequence", [])[1:] if requests else []
    specs = [*requests, *({**requests[0], **step} for step in first_steps)]
    summary = ""
    for index, spec in enumerate(specs):
        headers = dict(spec["headers"])
        cookie = headers.pop("Cookie", "")
        client = Client(enforce_csrf_checks=True)
        for part in filter(None, (piece.strip() for piece in cookie.split(";"))):
            name, _sep, value = part.partition("=")
            client.cookies[name] = value
        if unique_header:
            headers[unique_header] = uuid.uuid4().hex
        with CaptureQueriesContext(connection) as queries:
            if spec["method"] == "POST":
                response = client.post(
                    spec["path"], data=spec["body"], content_type="application/json", headers=headers
                )
            else:
                response = client.get(spec["path"], headers=headers)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"{spec['method']} {spec['path']} → {response.status_code}: {response.content[:500]!r}")
        if index == 0:
            summary = f"{spec['method']} {spec['path']} → {response.status_code}, {len(queries)} SQL statements"
    return summary


def _get(path: str, headers: dict[str, str] | None = None) -> dict:
    return {"method": "GET", "path": path, "headers": headers or {}, "body": None}


@dataclass(frozen=True)
class SubmitItem:
    """An item the submit scenario applies for: its form and the materials every application of it provides."""

    code: str
    name: str
    schema: dict
    template: dict  # the required answers, sample values (cases/bench_data.py)
    prefill: dict  # form field -> "profile.<attribute>"
    materials: tuple[int, ...]  # every material but the optional ones: SUBMIT_MATERIALS of them
    serials_left: int  # case numbers still free today


def submit_items(today=None) -> list[SubmitItem]:
    """The demo county's items the submit scenario rotates over, in code order: open to persons, an application
    takes exactly SUBMIT_MATERIALS materials (the non-optional ones), and at least SERIALS_LEFT_MIN case numbers
    are left today. Spreading the submissions over them multiplies the day's numbers (9 999 per item) and spreads
    the per-item serial row and the per-organisation receipt serial that each submission locks until COMMIT."""
    from django.utils import timezone

    from tongban.cases.bench_data import demo_items
    from tongban.catalog.models import MaterialNecessity
    from tongban.core.models import SerialCounter
    from tongban.core.numbering import CASE_SERIAL_MAX

    today = today or timezone.localdate()
    infos = demo_items()
    used = dict(
        SerialCounter.objects.filter(prefix__in=[f"case:{info.code}" for info in infos], day=today).values_list(
            "prefix", "value"
        )
    )
    found = []
    for info in infos:
        materials = tuple(
            pk
            for pk, necessity in info.version.materials.order_by("order", "pk").values_list("pk", "necessity")
            if necessity != MaterialNecessity.OPTIONAL
        )
        left = CASE_SERIAL_MAX - used.get(f"case:{info.code}", 0)
        if len(materials) != SUBMIT_MATERIALS or left < SERIALS_LEFT_MIN:
            continue
        schema = info.version.form_schema or {}
        found.append(SubmitItem(info.code, info.name, schema, info.form, info.prefill, materials, left))
    return found


def submit_answers(item: SubmitItem, person) -> dict:
    """A valid application of `person` for `item`: the sample answers, the profile's values where the form prefills
    them, and for every other patterned field (a phone, a credit code, an ID number) the first of the person's phone,
    BENCH_USCC or the person's ID number that fits the pattern (an ID number would fit a credit code's too)."""
    import re

    profile = {"real_name": person.real_name, "phone": person.phone, "id_number": person.id_number}
    answers = dict(item.template)
    for field, source in item.prefill.items():
        attribute = source.removeprefix("profile.")
        if field in answers and attribute in profile:
            answers[field] = profile[attribute]
    for field, prop in item.schema.get("properties", {}).items():
        pattern = prop.get("pattern")
        if field in answers and pattern and not re.search(pattern, str(answers[field])):
            fitting = [value for value in (person.phone, BENCH_USCC, person.id_number) if re.search(pattern, value)]
            answers[field] = fitting[0] if fitting else answers[field]
    return answers


def _submit_body(item: SubmitItem, person, uploads: list[int]) -> str:
    body = {
        "item": item.code,
        "answers": submit_answers(item, person),
        "materials": [
            {"material": material, "upload": upload, "provision": "upload"}
            for material, upload in zip(item.materials, uploads, strict=True)
        ],
    }
    return json.dumps(body, ensure_ascii=False)


def _prepare_submit(clients: int) -> dict:
    """One applicant per client with SUBMIT_MATERIALS uploads; client i applies for the items in turn, starting at
    item i (mod their number), so at any moment the clients are spread over the items."""
    import random

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongban.cases.bench_data import ensure_applicants
    from tongban.cases.uploads import upload_store

    items = submit_items()
    if not items:
        return {
            "skip": f"没有可轮换的事项（需 {SUBMIT_MATERIALS} 份材料、今天剩余编号不少于 {SERIALS_LEFT_MIN} 个）："
            "请先运行 demo_seed，或明天再测 / no item with case numbers left today"
        }
    people = ensure_applicants(clients, rng=random.Random(7), prefix=SUBMITTER_PREFIX)
    requests = []
    for index, person in enumerate(people):
        uploads = [
            upload_store(
                actor=person,
                file=SimpleUploadedFile(f"材料{n}.pdf", PDF + f"% {person.pk}-{n}".encode(), "application/pdf"),
            ).pk
            for n in range(SUBMIT_MATERIALS)
        ]
        turn = [items[(index + step) % len(items)] for step in range(len(items))]
        sequence = [{"path": "/api/v1/cases", "body": _submit_body(item, person, uploads)} for item in turn]
        headers = _session_headers(person) | {"Content-Type": "application/json"}
        requests.append(
            {"method": "POST", "path": "/api/v1/cases", "headers": headers, "body": sequence[0]["body"]}
            | {"sequence": sequence}
        )
    left = sum(item.serials_left for item in items)
    rotation = f"{len(items)} items ({', '.join(item.name for item in items)}), {left} case numbers left today"
    return {"requests": requests, "unique_header": "Idempotency-Key", "rotation": rotation}


def _my_cases_people(clients: int):
    from tongban.accounts.models import User
    from tongban.cases.bench_data import applicants_with_cases

    ids = applicants_with_cases(*MY_CASES_RANGE, limit=clients)
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _prepare_my_cases(clients: int, path: str) -> dict:
    people = _my_cases_people(clients)
    if not people:
        return {"skip": "没有约 50 件办件的申请人：请先运行 manage.py cases_generate / run cases_generate first"}
    return {"requests": [_get(path, _session_headers(person)) for person in people]}


def _prepare_worklist(path: str) -> dict:
    from tongban.accounts.models import User

    clerk = User.objects.filter(username=CLERK).first()
    if clerk is None:
        return {"skip": f"没有演示账号 {CLERK}：请先运行 demo_seed"}
    return {"requests": [_get(path, _session_headers(clerk))]}


def _prepare_lookup(clients: int) -> dict:
    from urllib.parse import urlencode

    from django.conf import settings

    from tongban.cases.models import Case, CaseStatus

    if settings.TONGBAN_LOOKUP_PER_MINUTE < LOOKUP_LIMIT_NEEDED:
        return {
            "skip": f"查询限流为每分钟 {settings.TONGBAN_LOOKUP_PER_MINUTE} 次：请以 "
            f"TONGBAN_LOOKUP_PER_MINUTE={LOOKUP_LIMIT_NEEDED} 运行压测 / raise the lookup limit for the bench"
        }
    cases = list(
        Case.objects.filter(status__in=[CaseStatus.RECEIVED, CaseStatus.ACCEPTED, CaseStatus.APPROVED])
        .only("number", "query_code")
        .order_by("-pk")[:clients]
    )
    if not cases:
        return {"skip": "没有已提交的办件：请先运行 manage.py cases_generate"}
    return {
        "requests": [
            _get("/api/v1/cases/lookup?" + urlencode({"number": case.number, "code": case.query_code}))
            for case in cases
        ]
    }


def prepare(name: str, clients: int) -> dict:
    """The request shapes for one scenario (or {"skip": reason}), each checked once in-process."""
    preparations = {
        "submit": lambda: _prepare_submit(clients),
        "my-cases-page": lambda: _prepare_my_cases(clients, "/cases/mine/"),
        "my-cases-api": lambda: _prepare_my_cases(clients, "/api/v1/cases/mine"),
        "worklist-page": lambda: _prepare_worklist("/workbench/cases/?list=pre_review"),
        "worklist-api": lambda: _prepare_worklist("/api/v1/cases/worklist?list=pre_review"),
        "lookup": lambda: _prepare_lookup(clients),
    }
    prepared = preparations[name]()
    if not prepared.get("skip"):
        checked = _check(prepared["requests"], prepared.get("unique_header", ""))
        prepared["check"] = "; ".join(filter(None, [checked, prepared.get("rotation", "")]))
    return prepared


def main(argv: list[str]) -> int:
    """`python -m bench.scenarios_cases prepare <name> --clients N --out FILE` (run by the bench runner)."""
    names = {scenario["prepare"] for scenario in CASE_SCENARIOS}
    return prepare_cli.main(argv, prog="python -m bench.scenarios_cases", names=names, prepare=prepare)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
