"""JSON shapes of the licences API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}
    request_id: str = ""


class NamedCodeOut(Schema):
    code: str
    name: str


class HolderOut(Schema):
    name: str
    id_type: str
    id_type_label: str
    id_number_masked: str


class FieldOut(Schema):
    name: str
    label: str
    value: str


class SealCheckOut(Schema):
    signature_valid: bool
    chain_valid: bool
    problems: list[str]
    signed_at: dt.datetime | None
    certificate_subject: str


class VerificationOut(Schema):
    identifier: str
    valid: bool
    status: str
    status_label: str
    licence_type: NamedCodeOut
    holder: HolderOut
    issuer: NamedCodeOut
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    region_code: str
    fields: list[FieldOut]
    revoked_at: dt.datetime | None
    revocation_reason: str
    data_sm3: str
    seal: SealCheckOut
    current_identifier: str | None = None  # the newest version when this one was superseded by a change (变更)
