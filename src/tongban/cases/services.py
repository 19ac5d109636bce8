"""Writes on cases: drafts, submission, pre-review (accept / refuse / supplement), withdrawal, deemed acceptance.

Every function runs in one transaction, locks the case row before a transition, checks the status (and, for staff
actions taken from a page, the lock_version the page was drawn from, so of two clerks acting at once one wins and
the other gets CONFLICT with nothing changed), writes a timeline event and an audit row, and schedules documents and
notifications through the outbox. Authorisation of *who* may act is done by the caller through cases/access.py;
the rules of *what* may happen are here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.enterprises import require_agent_scope
from tongban.accounts.models import User, UserKind
from tongban.accounts.realname import require_real_name_level
from tongban.cases import deadlines, documents, review
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    WITHDRAWABLE_STATUSES,
    ApplicantKind,
    Case,
    CaseMaterial,
    CaseStatus,
    Channel,
    DocumentKind,
    EventCode,
    IdType,
    Provision,
    SupplementRequest,
    Upload,
)
from tongban.cases.steps import audit_case as _audit
from tongban.cases.steps import event as _event
from tongban.cases.steps import lock as _lock
from tongban.cases.steps import require_status as _require_status
from tongban.cases.steps import require_version as _require_version
from tongban.cases.steps import state as _state
from tongban.cases.steps import tell as _tell
from tongban.cases.steps import today as _today
from tongban.cases.steps import transition as _transition
from tongban.catalog.access import require_published_version
from tongban.catalog.forms_schema import coerce_submission, validate_submission
from tongban.catalog.models import ImplementationItem, ItemVersion, Material, MaterialNecessity, VersionStatus
from tongban.core import audit
from tongban.core.db.writes import insert, insert_many
from tongban.core.errors import DomainError
from tongban.core.kept import KeptPerProcess
from tongban.core.numbering import case_number

QUERY_CODE_DIGITS = 6


# ---------------------------------------------------------------------------------------------------------------
# Drafts


@dataclass(frozen=True)
class Applicant:
    """Whom an application is for: the person themselves, or an enterprise the person represents or is agent of."""

    account: User  # the person's or the enterprise's account
    person: User  # the person filling it in (the representative or agent for an enterprise)

    @property
    def is_enterprise(self) -> bool:
        return self.account.kind == UserKind.ENTERPRISE


def offered_online(version) -> bool:
    """Whether the guide's 办理形式 includes online application (otherwise only a counter may file it)."""
    return "online" in (version.handling_forms or [])


def require_may_apply(*, applicant: Applicant, item: ImplementationItem, channel: str = Channel.ONLINE) -> None:
    """The rules for starting or submitting: published item, offered on this channel, right audience, real-name
    level, agent scope."""
    version = require_published_version(item)
    if channel == Channel.ONLINE and not offered_online(version):
        raise DomainError(CaseError.ONLINE_NOT_OFFERED)
    audience = ApplicantKind.ENTERPRISE if applicant.is_enterprise else ApplicantKind.PERSON
    if version.service_object and audience not in version.service_object:
        raise DomainError(CaseError.SERVICE_OBJECT)
    if applicant.person.kind != UserKind.STAFF:
        require_real_name_level(applicant.person, version.min_real_name_level)
    elif not applicant.is_enterprise:
        # At a counter the clerk files it: the level that counts is the applicant's own (raised to L3 on the card).
        require_real_name_level(applicant.account, version.min_real_name_level)
    if applicant.is_enterprise and applicant.person.kind != UserKind.STAFF:
        require_agent_scope(applicant.person, applicant.account, item.code)


def _applicant_fields(applicant: Applicant) -> dict:
    account, person = applicant.account, applicant.person
    if applicant.is_enterprise:
        return {
            "applicant_kind": ApplicantKind.ENTERPRISE,
            "applicant_name": account.display_name or account.username,
            "applicant_id_type": IdType.USCC,
            "applicant_id_number": account.username,
            "legal_representative": account.legal_representative.real_name if account.legal_representative else "",
            "agent_name": "" if person.kind == UserKind.STAFF else person.real_name or person.display_name,
            "contact_phone": person.phone if person.kind != UserKind.STAFF else account.phone,
        }
    return {
        "applicant_kind": ApplicantKind.PERSON,
        "applicant_name": account.real_name or account.display_name,
        "applicant_id_type": IdType.RESIDENT_ID,
        "applicant_id_number": account.id_number,
        "contact_phone": account.phone,
    }


def draft_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.TONGBAN_DRAFT_DAYS)


@transaction.atomic
def draft_start(
    *, actor: User, applicant: Applicant, item: ImplementationItem, prefill: dict | None = None, **channel
) -> Case:
    """Open a draft application for the item's published version, prefilled where the form says so.

    `channel` is for counter registration: channel=Channel.WINDOW, accepting_hall=…, accepting_window=…,
    identity_checked=…; online drafts pass nothing.
    """
    require_may_apply(applicant=applicant, item=item, channel=channel.get("channel", Channel.ONLINE))
    version = item.published_version
    case = Case.objects.create(
        item=item,
        version=version,
        organisation_id=item.organisation_id,
        applicant=applicant.account,
        submitted_by=actor,
        form_data=dict(prefill or {}),
        draft_expires_at=draft_expiry(),
        **_applicant_fields(applicant),
        **channel,
    )
    audit.record(actor=actor, action="cases.draft.start", obj=case, after={"item": item.code, "version": version.pk})
    return case


def _editable_draft(case: Case) -> Case:
    case = _lock(case)
    _require_status(case, [CaseStatus.DRAFT], CaseError.NOT_DRAFT)
    return case


@transaction.atomic
def draft_save_answers(*, actor: User, case: Case, answers: dict, page: int | None = None) -> Case:
    """Keep the answers given so far (merged over earlier ones, typed per the schema); refreshes the draft's expiry.

    Nothing is validated here beyond typing: the person may save half a page and come back. Validation is per page in
    the view (validate_page) and in full at submission.
    """
    case = _editable_draft(case)
    typed = coerce_submission(case.version.form_schema, answers)
    case.form_data = {**case.form_data, **typed}
    if page is not None:
        case.current_page = page
    case.draft_expires_at = draft_expiry()
    case.save(update_fields=["form_data", "current_page", "draft_expires_at", "updated_at"])
    audit.record(actor=actor, action="cases.draft.save", obj=case, after={"fields": sorted(typed)})
    return case


def _material_of(case: Case, material_id: int) -> Material:
    material = Material.objects.filter(pk=material_id, version_id=case.version_id).first()
    if material is None:
        raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)
    return material


def _owned_upload(actor: User, upload_id: int) -> Upload:
    upload = Upload.objects.select_related("file").filter(pk=upload_id, uploaded_by=actor).first()
    if upload is None:
        raise DomainError(CaseError.UPLOAD_NOT_FOUND)
    return upload


def _licence_reference(account: User, type_code: str, identifier: str) -> str:
    """凡是电子证照库已有材料的不再要求申办人提交: the applicant's valid licence of the material's type stands in for
    it; its identifier is the reference (MATERIAL_LICENCE_INVALID otherwise)."""
    from tongban.licences.wallet import licence_for_material  # licences builds on cases: imported where used

    return licence_for_material(account=account, identifier=identifier, type_code=type_code).identifier


def _check_provision(material, provision: str) -> None:
    """Only a material the guide marks 容缺 may be deferred (a Material or a cached _VersionMaterial)."""
    if provision == Provision.DEFERRED and material.necessity != MaterialNecessity.DEFERRABLE:
        raise DomainError(CaseError.MATERIAL_NOT_DEFERRABLE)


@transaction.atomic
def material_attach(
    *,
    actor: User,
    case: Case,
    material_id: int,
    provision: str,
    upload_id: int | None = None,
    reference: str = "",
) -> CaseMaterial:
    """Attach a material to a draft, or to a case waiting for the supplement (then it answers that request)."""
    case = _lock(case)
    _require_status(case, [CaseStatus.DRAFT, CaseStatus.SUPPLEMENT], CaseError.NOT_DRAFT)
    material = _material_of(case, material_id)
    _check_provision(material, provision)
    upload = _owned_upload(actor, upload_id) if provision == Provision.UPLOAD else None
    if provision == Provision.LICENCE:
        reference = _licence_reference(case.applicant, material.source_licence_type, reference)
    if provision in (Provision.DEFERRED, Provision.LICENCE):
        CaseMaterial.objects.filter(case=case, material=material, provision=provision).delete()
    attached = CaseMaterial.objects.create(
        case=case,
        material=material,
        provision=provision,
        upload=upload,
        reference=reference,
        supplement=_open_supplement(case) if case.status == CaseStatus.SUPPLEMENT else None,
        added_by=actor,
    )
    audit.record(
        actor=actor,
        action="cases.material.attach",
        obj=case,
        after={
            "material": material.pk,
            "provision": provision,
            "upload": upload.pk if upload else None,
            **({"licence": reference} if provision == Provision.LICENCE else {}),
        },
    )
    return attached


@transaction.atomic
def material_detach(*, actor: User, case_material: CaseMaterial) -> None:
    """Remove a material from a draft (or one added for a supplement not yet confirmed)."""
    case = _lock(case_material.case)
    _require_status(case, [CaseStatus.DRAFT, CaseStatus.SUPPLEMENT], CaseError.NOT_DRAFT)
    if case.status == CaseStatus.SUPPLEMENT and case_material.supplement_id is None:
        raise DomainError(CaseError.WRONG_STATUS)  # what was submitted before the request stays on the record
    before = {"material": case_material.material_id, "provision": case_material.provision}
    case_material.delete()
    audit.record(actor=actor, action="cases.material.detach", obj=case, before=before)


@transaction.atomic
def draft_discard(*, actor: User, case: Case) -> None:
    """Delete a draft the applicant no longer wants (its uploads stay with their uploader)."""
    case = _editable_draft(case)
    audit.record(actor=actor, action="cases.draft.discard", obj=case, before={"item": case.item.code})
    case.delete()


# ---------------------------------------------------------------------------------------------------------------
# Submission


def missing_materials(case: Case) -> dict[str, list[str]]:
    """Required materials not provided (deferrable ones may be marked 容缺), keyed "material-<id>" for the page."""
    provided = set(CaseMaterial.objects.filter(case=case).values_list("material_id", flat=True))
    return _missing_of(_version_materials(case.version), provided)


def form_errors(case: Case) -> dict[str, list[str]]:
    """Every problem with the draft's answers, in the order of the form's pages."""
    version = case.version
    return validate_submission(version.form_schema, case.form_data, ui=version.form_ui)


def _check_submittable(case: Case) -> None:
    version = case.version
    if version.status != VersionStatus.PUBLISHED or case.item.published_version_id != version.pk:
        raise DomainError(CaseError.VERSION_CHANGED)
    errors = form_errors(case)
    if errors:
        raise DomainError(CaseError.INVALID_FORM, fields=errors)
    missing = missing_materials(case)
    if missing:
        raise DomainError(CaseError.MATERIALS_MISSING, fields=missing)


def new_query_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(QUERY_CODE_DIGITS))


def _receive(case: Case, now: dt.datetime) -> None:
    today = timezone.localdate(now)
    due, provisional = deadlines.acceptance_due(today)
    case.number = case_number(case.item.code, today)
    case.query_code = new_query_code()
    case.received_at = now
    case.materials_complete_on = today
    case.acceptance_due = due
    case.deadline_provisional = provisional
    case.draft_expires_at = None
    _transition(
        case,
        CaseStatus.RECEIVED,
        [
            "number",
            "query_code",
            "received_at",
            "materials_complete_on",
            "acceptance_due",
            "deadline_provisional",
            "draft_expires_at",
            "idempotency_key",
        ],
    )


def _receipt_data(case: Case) -> dict:
    return {
        "item": case.version.name,
        "applicant": case.applicant_name,
        "received_at": timezone.localtime(case.received_at).strftime("%Y-%m-%d %H:%M"),
        "acceptance_due": case.acceptance_due.isoformat(),
        "query_code": case.query_code,
        "channel": case.get_channel_display(),
        "hall": case.accepting_hall.name if case.accepting_hall_id else "",
    }


@transaction.atomic
def case_submit(*, actor: User, case: Case, idempotency_key: str = "") -> Case:
    """Submit a complete draft (已接件): number, query code, acceptance deadline, receipt, notifications.

    Idempotent: submitting a case that is already submitted returns it unchanged, so a double click or a retried
    request never makes a second case.
    """
    case = _lock(case)
    if case.status != CaseStatus.DRAFT:
        return case
    applicant = Applicant(account=case.applicant, person=case.submitted_by)
    require_may_apply(applicant=applicant, item=case.item, channel=case.channel)
    _check_submittable(case)
    case.idempotency_key = idempotency_key
    _receive(case, timezone.now())
    hall = case.accepting_hall if case.channel == Channel.WINDOW else None
    _event(case, EventCode.RECEIVED, gettext_noop("接件"), actor=actor, organisation=hall or case.organisation)
    documents.document_issue(case=case, kind=DocumentKind.RECEIPT, data=_receipt_data(case), organisation=hall)
    _audit(actor, "cases.case.submit", case, {"status": CaseStatus.DRAFT}, number=case.number)
    _tell_received(case)
    return case


def _tell_received(case: Case) -> None:
    _tell(
        case,
        "case.received",
        _("申请已提交"),
        _("您申请的“%(item)s”已接件，办件编号 %(number)s，受理期限 %(due)s。")
        % {"item": case.version.name, "number": case.number, "due": case.acceptance_due.isoformat()},
    )


def case_submit_new(
    *,
    actor: User,
    applicant: Applicant,
    item: ImplementationItem,
    answers: dict,
    materials: list[dict],
    idempotency_key: str,
    replay_checked: bool = False,
) -> tuple[Case, bool]:
    """Create and submit in one go (the API): returns (case, created). A repeated key returns the first case.

    `materials` are {"material": id, "provision": …, "upload": id?, "reference": ""}. Nothing is saved when any part
    is wrong; a concurrent duplicate loses on the unique (submitted_by, idempotency_key) and gets the winner's case.
    `replay_checked`: the caller has just looked the key up itself (the API does, before loading the item).

    Unlike the page's draft → attach → submit, this is one transaction that checks everything first and then
    inserts the received case once, its materials in one statement, and one audit row for the whole submission;
    the chain lock is taken at the very end (audit.deferred) so submissions overlap for all but their last steps.
    """
    if not replay_checked:
        existing = case_for_idempotency_key(actor, idempotency_key)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return _submit_in_one_go(actor, applicant, item, answers, materials, idempotency_key), True
    except IntegrityError:
        existing = case_for_idempotency_key(actor, idempotency_key)
        if existing is None:
            raise
        return existing, False


@dataclass(frozen=True)
class _VersionMaterial:
    """What submission needs of one of a published version's materials (kept in `_version_materials`)."""

    pk: int
    name: str
    necessity: str
    source_licence_type: str


# Published versions never change (a change is a new version), so their materials are read once per process.
_version_materials_kept: KeptPerProcess[tuple[_VersionMaterial, ...]] = KeptPerProcess(
    "cases-version-materials", ItemVersion, Material
)


def _version_materials(version) -> tuple[_VersionMaterial, ...]:
    """The published version's materials in their order, from this process's copy (one query the first time)."""
    return _version_materials_kept.get(
        version.pk,
        lambda: tuple(
            _VersionMaterial(*row)
            for row in version.materials.values_list("pk", "name", "necessity", "source_licence_type")
        ),
    )


def _checked_material_rows(
    actor: User, account: User, offered: tuple[_VersionMaterial, ...], rows: list[dict]
) -> list[tuple[_VersionMaterial, str, int | None, str]]:
    """(material, provision, upload id, reference) per row, checked as material_attach checks one, in row order;
    the uploads' ownership in one query; a licence must be the applicant `account`'s, valid and of the material's
    type. A later 容缺 row for the same material replaces an earlier one."""
    by_pk = {material.pk: material for material in offered}
    upload_ids = {row.get("upload") for row in rows if row.get("provision", Provision.UPLOAD) == Provision.UPLOAD}
    upload_ids.discard(None)
    owned = _owned_uploads(actor, upload_ids)
    checked: list[tuple[_VersionMaterial, str, int | None, str]] = []
    for row in rows:
        material = by_pk.get(row["material"])
        if material is None:
            raise DomainError(CaseError.MATERIAL_NOT_OF_ITEM)
        provision = row.get("provision", Provision.UPLOAD)
        _check_provision(material, provision)
        upload_id = row.get("upload") if provision == Provision.UPLOAD else None
        if provision == Provision.UPLOAD and upload_id not in owned:
            raise DomainError(CaseError.UPLOAD_NOT_FOUND)
        reference = row.get("reference", "")
        if provision == Provision.LICENCE:
            reference = _licence_reference(account, material.source_licence_type, reference)
        if provision == Provision.DEFERRED:
            checked = [c for c in checked if not (c[0] is material and c[1] == Provision.DEFERRED)]
        checked.append((material, provision, upload_id, reference))
    return checked


def _owned_uploads(actor: User, upload_ids: set[int]) -> set[int]:
    """Which of these uploads are the actor's own. Every submission asks, so the statement is written out."""
    if not upload_ids:
        return set()
    ids = sorted(int(upload_id) for upload_id in upload_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Upload._meta.db_table}"  # noqa: S608
            f" WHERE uploaded_by_id = %s AND id IN ({', '.join(['%s'] * len(ids))})",
            [actor.pk, *ids],
        )
        return {row[0] for row in cursor.fetchall()}


def _missing_of(offered: tuple[_VersionMaterial, ...], provided: set[int]) -> dict[str, list[str]]:
    """The one rule: every material but the optional ones must be provided (a deferrable one may be marked 容缺)."""
    return {
        f"material-{material.pk}": [_("请提供“%(name)s”") % {"name": material.name}]
        for material in offered
        if material.necessity != MaterialNecessity.OPTIONAL and material.pk not in provided
    }


def _submit_in_one_go(
    actor: User,
    applicant: Applicant,
    item: ImplementationItem,
    answers: dict,
    rows: list[dict],
    key: str,
    bundle_application=None,
) -> Case:
    """case_submit_new's transaction: check as draft_start, material_attach and case_submit do, then write.

    `bundle_application`: the case is a child of a bundle (cases/bundles.py), which tells the person once itself."""
    require_may_apply(applicant=applicant, item=item)
    version = item.published_version
    offered = _version_materials(version)
    checked = _checked_material_rows(actor, applicant.account, offered, rows)
    errors = validate_submission(version.form_schema, answers, ui=version.form_ui)
    if errors:
        raise DomainError(CaseError.INVALID_FORM, fields=errors)
    missing = _missing_of(offered, {material.pk for material, *_rest in checked})
    if missing:
        raise DomainError(CaseError.MATERIALS_MISSING, fields=missing)
    now = timezone.now()
    today = timezone.localdate(now)
    due, provisional = deadlines.acceptance_due(today)
    case = insert(
        Case(
            number=case_number(item.code, today),
            query_code=new_query_code(),
            status=CaseStatus.RECEIVED,
            lock_version=1,  # created and submitted: one transition, as draft → 已接件 counts on the page's path
            item=item,
            version=version,
            organisation=item.organisation,
            applicant=applicant.account,
            submitted_by=actor,
            form_data=dict(answers),
            idempotency_key=key,
            received_at=now,
            materials_complete_on=today,
            acceptance_due=due,
            deadline_provisional=provisional,
            bundle_application=bundle_application,
            **_applicant_fields(applicant),
        )
    )
    insert_many(
        [
            CaseMaterial(
                case=case,
                material_id=material.pk,
                provision=provision,
                upload_id=upload,
                reference=reference,
                added_by=actor,
            )
            for material, provision, upload, reference in checked
        ]
    )
    _event(case, EventCode.RECEIVED, gettext_noop("接件"), actor=actor, organisation=case.organisation)
    documents.document_issue(case=case, kind=DocumentKind.RECEIPT, data=_receipt_data(case))
    if bundle_application is None:
        _tell_received(case)
    with audit.deferred():  # last: the chain lock is held from here to COMMIT only
        _audit(
            actor,
            "cases.case.submit",
            case,
            {"status": CaseStatus.DRAFT},
            number=case.number,
            item=item.code,
            version=version.pk,
            materials=[
                {"material": material.pk, "provision": provision, "upload": upload}
                for material, provision, upload, _reference in checked
            ],
        )
    return case


def case_for_idempotency_key(actor: User, key: str) -> Case | None:
    """The case this person already submitted with this key, if any (a replay answers with it, whatever changed)."""
    case_id = case_id_for_idempotency_key(actor, key)
    return None if case_id is None else Case.objects.get(pk=case_id)


def case_id_for_idempotency_key(actor: User, key: str) -> int | None:
    """Only the id of that case (a submitted one: drafts never answer a replay). The submission API asks on every
    call, so the statement is written out; the unique (submitted_by, idempotency_key) makes it one row at most."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Case._meta.db_table}"  # noqa: S608
            " WHERE submitted_by_id = %s AND idempotency_key = %s AND status <> %s",
            [actor.pk, key, CaseStatus.DRAFT],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------------------------------------------------------
# Pre-review (预审) by the competent organisation


def _accept(case: Case, *, accepted_on: dt.date, actor, deemed: bool) -> None:
    dates = deadlines.completion_dates(case.version, accepted_on)
    case.accepted_at = timezone.now()
    case.accepted_on = accepted_on
    case.accepted_by = actor
    case.acceptance_deemed = deemed
    case.supervision_flag = case.supervision_flag or deemed
    case.promised_due = dates.promised
    case.statutory_due = dates.statutory
    case.deadline_provisional = case.deadline_provisional or dates.provisional
    _transition(
        case,
        CaseStatus.ACCEPTED,
        [
            "accepted_at",
            "accepted_on",
            "accepted_by",
            "acceptance_deemed",
            "supervision_flag",
            "promised_due",
            "statutory_due",
            "deadline_provisional",
        ],
    )
    review.process_start(case=case, actor=actor)


def _acceptance_data(case: Case, opinion: str) -> dict:
    return {
        "item": case.version.name,
        "applicant": case.applicant_name,
        "received_at": timezone.localtime(case.received_at).strftime("%Y-%m-%d %H:%M"),
        "accepted_on": case.accepted_on.isoformat(),
        "promised_due": case.promised_due.isoformat(),
        "statutory_due": case.statutory_due.isoformat(),
        "deemed": case.acceptance_deemed,
        "opinion": opinion,
        "instant": case.version.case_type == "instant",
    }


@transaction.atomic
def case_accept(*, actor: User, case: Case, expected_version: int | None, opinion: str = "") -> Case:
    """Accept (受理): the completion clock starts today; 受理通知书 issued; applicant told.

    An instant item (即办件) is accepted the same way; the review issue decides it at once from the accepted state.
    """
    case = _lock(case)
    _require_version(case, expected_version)
    _require_status(case, [CaseStatus.RECEIVED])
    before = _state(case)
    _accept(case, accepted_on=_today(), actor=actor, deemed=False)
    _event(case, EventCode.ACCEPTED, gettext_noop("予以受理"), actor=actor, opinion=opinion)
    documents.document_issue(case=case, kind=DocumentKind.ACCEPTANCE, data=_acceptance_data(case, opinion))
    _audit(actor, "cases.case.accept", case, before, promised_due=case.promised_due.isoformat())
    _tell(
        case,
        "case.accepted",
        _("申请已受理"),
        _("您的办件 %(number)s 已受理，承诺 %(due)s 前办结。") % {"number": case.number, "due": case.promised_due},
    )
    return case


@transaction.atomic
def case_refuse(*, actor: User, case: Case, expected_version: int | None, reasons: str) -> Case:
    """Refuse to accept (不予受理) with reasons; the notice states the right to reconsideration or litigation."""
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError(CaseError.REASON_REQUIRED, fields={"reasons": [_("请写明不予受理的理由")]})
    case = _lock(case)
    _require_version(case, expected_version)
    _require_status(case, [CaseStatus.RECEIVED])
    before = _state(case)
    case.closed_at = timezone.now()
    _transition(case, CaseStatus.REFUSED, ["closed_at"])
    _event(case, EventCode.REFUSED, gettext_noop("不予受理"), actor=actor, opinion=reasons)
    documents.document_issue(
        case=case,
        kind=DocumentKind.REFUSAL,
        data={
            "item": case.version.name,
            "applicant": case.applicant_name,
            "received_at": timezone.localtime(case.received_at).strftime("%Y-%m-%d %H:%M"),
            "reasons": reasons,
            "reconsideration_body": documents.reconsideration_body(case.organisation),
        },
    )
    _audit(actor, "cases.case.refuse", case, before, reasons=reasons)
    _tell(
        case,
        "case.refused",
        _("申请不予受理"),
        _("您的办件 %(number)s 不予受理，理由及救济途径见不予受理通知书。") % {"number": case.number},
    )
    return case


def _checked_supplement_items(case: Case, items: list[dict]) -> list[dict]:
    """Each entry names a material of the item (or a free-text one) and says what is wrong with it."""
    names = dict(case.version.materials.values_list("pk", "name"))
    checked, errors = [], []
    for number, entry in enumerate(items, start=1):
        problem = str(entry.get("problem", "")).strip()
        material = entry.get("material")
        name = names.get(int(material)) if material not in (None, "") else str(entry.get("name", "")).strip()
        if not name or not problem:
            errors.append(_("第 %(n)d 项：请写明材料名称和问题") % {"n": number})
            continue
        material_id = int(material) if material not in (None, "") else None
        checked.append({"material": material_id, "name": name, "problem": problem})
    if errors:
        raise DomainError(CaseError.SUPPLEMENT_EMPTY, fields={"items": errors})
    if not checked:
        raise DomainError(CaseError.SUPPLEMENT_EMPTY)
    return checked


@transaction.atomic
def case_request_supplement(
    *, actor: User, case: Case, expected_version: int | None, items: list[dict], note: str = ""
) -> SupplementRequest:
    """Tell the applicant, once, everything to supplement (一次性告知, 补正材料通知书); the acceptance clock stops."""
    case = _lock(case)
    _require_version(case, expected_version)
    _require_status(case, [CaseStatus.RECEIVED])
    if case.supplements.exists():
        raise DomainError(CaseError.SUPPLEMENT_ALREADY)
    checked = _checked_supplement_items(case, items)
    before = _state(case)
    request = SupplementRequest.objects.create(
        case=case, items=checked, note=note.strip(), requested_by=actor, requested_at=timezone.now()
    )
    _transition(case, CaseStatus.SUPPLEMENT, [])
    listing = "；".join(f"{entry['name']}：{entry['problem']}" for entry in checked)
    _event(case, EventCode.SUPPLEMENT_REQUESTED, gettext_noop("补正开始"), actor=actor, opinion=listing)
    documents.document_issue(
        case=case,
        kind=DocumentKind.SUPPLEMENT,
        data={"item": case.version.name, "applicant": case.applicant_name, "items": checked, "note": request.note},
        supplement=request,
    )
    _audit(actor, "cases.case.request_supplement", case, before, items=checked)
    _tell(
        case,
        "case.supplement",
        _("请补正材料"),
        _("您的办件 %(number)s 需要补正材料：%(listing)s。请登录后在“我的办件”中补正。")
        % {"number": case.number, "listing": listing},
    )
    return request


def _open_supplement(case: Case) -> SupplementRequest:
    return case.supplements.filter(returned_at__isnull=True).order_by("-requested_at").first()


@transaction.atomic
def case_supplement_return(*, actor: User, case: Case, note: str = "") -> Case:
    """The applicant confirms the supplement is complete: back to pre-review with a new 5-working-day window."""
    case = _lock(case)
    _require_status(case, [CaseStatus.SUPPLEMENT])
    request = _open_supplement(case)
    if not request.materials.exists():
        raise DomainError(CaseError.SUPPLEMENT_NOTHING)
    before = _state(case)
    now = timezone.now()
    request.returned_at, request.returned_by = now, actor
    request.save(update_fields=["returned_at", "returned_by"])
    today = timezone.localdate(now)
    case.materials_complete_on = today
    case.acceptance_due, provisional = deadlines.acceptance_due(today)
    case.deadline_provisional = case.deadline_provisional or provisional
    _transition(case, CaseStatus.RECEIVED, ["materials_complete_on", "acceptance_due", "deadline_provisional"])
    _event(case, EventCode.SUPPLEMENT_RETURNED, gettext_noop("补正结束"), actor=actor, opinion=note.strip())
    _audit(actor, "cases.case.supplement_return", case, before, acceptance_due=case.acceptance_due.isoformat())
    return case


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, reason: str = "") -> Case:
    """The applicant withdraws before acceptance (已撤件)."""
    case = _lock(case)
    _require_status(case, WITHDRAWABLE_STATUSES)
    before = _state(case)
    case.closed_at = timezone.now()
    _transition(case, CaseStatus.WITHDRAWN, ["closed_at"])
    _event(case, EventCode.WITHDRAWN, gettext_noop("撤件"), actor=actor, opinion=reason.strip())
    _audit(actor, "cases.case.withdraw", case, before, reason=reason.strip())
    _tell(case, "case.withdrawn", _("申请已撤回"), _("您已撤回办件 %(number)s。") % {"number": case.number})
    return case


@transaction.atomic
def case_deem_accepted(*, case: Case, today: dt.date | None = None) -> Case | None:
    """Art. 32: not acted on within 5 working days of complete materials → accepted as of that day; supervised."""
    today = today or _today()
    case = _lock(case)
    if case.status != CaseStatus.RECEIVED or case.acceptance_due >= today:
        return None  # acted on meanwhile, or not yet late
    before = _state(case)
    _accept(case, accepted_on=case.materials_complete_on, actor=None, deemed=True)
    _event(
        case,
        EventCode.ACCEPTED,
        gettext_noop("逾期视为受理"),
        opinion=gettext_noop("办理机构未在 5 个工作日内作出受理决定，依法自收到申请材料之日起即为受理，已标记督办。"),
    )
    documents.document_issue(case=case, kind=DocumentKind.ACCEPTANCE, data=_acceptance_data(case, ""))
    _audit(None, "cases.case.deem_accepted", case, before, accepted_on=case.accepted_on.isoformat())
    _tell(
        case,
        "case.deemed_accepted",
        _("申请已视为受理"),
        _("您的办件 %(number)s 办理机构未按时作出受理决定，依法视为自 %(day)s 起受理，承诺 %(due)s 前办结。")
        % {"number": case.number, "day": case.accepted_on, "due": case.promised_due},
    )
    return case


def deem_overdue_acceptances(today: dt.date | None = None, limit: int = 500) -> int:
    """The periodic scan: deem every received case past its acceptance deadline accepted. Returns how many."""
    today = today or _today()
    ids = list(
        Case.objects.filter(status=CaseStatus.RECEIVED, acceptance_due__lt=today).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        if case_deem_accepted(case=Case(pk=pk), today=today) is not None:
            done += 1
    return done


def expire_drafts(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Delete drafts past their expiry (the periodic job). Returns how many."""
    now = now or timezone.now()
    expired = Case.objects.filter(status=CaseStatus.DRAFT, draft_expires_at__lt=now).values_list("pk", flat=True)
    done = 0
    for pk in list(expired[:limit]):
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(pk=pk, status=CaseStatus.DRAFT).first()
            if case is None or case.draft_expires_at >= now:
                continue
            audit.record(actor=None, action="cases.draft.expire", obj=case, before={"item": case.item_id})
            case.delete()
            done += 1
    return done
