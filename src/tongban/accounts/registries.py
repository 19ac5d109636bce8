"""The base registries the platform checks identities against: population (人口基础库) and legal entities (法人基础库).

Services never read the mirror tables directly; they ask a provider, chosen by dotted path in settings:

    TONGBAN_POPULATION_REGISTRY   = "tongban.accounts.registries.LocalPopulationRegistry"
    TONGBAN_LEGAL_ENTITY_REGISTRY = "tongban.accounts.registries.LocalLegalEntityRegistry"

A deployment that reaches its province's data-sharing platform (数据共享交换平台) writes a class with the same method
and points the setting at it. The contract (docs/decisions/0005-registries-and-identity.md):

- `PopulationRegistry.verify(name, id_number) -> PersonCheck`: is there a living resident with this ID number and
  this name? The answer is one of MATCH / NAME_MISMATCH / NOT_FOUND / DECEASED and nothing else: the platform never
  needs (and must not receive) the registry's copy of someone's data to verify them. The ID number arrives
  normalised (18 characters, upper-case X); the name stripped.
- `LegalEntityRegistry.lookup(uscc) -> EntityRecord | None`: the registered name, status and legal representative
  (name and ID number) of a unified social credit code, or None when the code is not registered.
- Either may raise `RegistryUnavailable` when the upstream service cannot answer; callers turn it into
  "核验服务暂时不可用" and write nothing.

The providers are constructed once per call (cheap for the local ones); an upstream provider keeps its own
connection pool at module level if it needs one.

The local providers read the mirror tables PopulationRecord and LegalEntityRecord, which the demo seeds and a
deployment without an upstream connection fills by import. Their writes (`population_record_put`,
`legal_entity_record_put`) are audited like every other write.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from tongban.accounts.models import LegalEntityRecord, PopulationRecord
from tongban.core import audit
from tongban.core.pii import blind_index, mask_id_number, mask_name
from tongban.core.validators import normalize_id_number, normalize_uscc


class RegistryUnavailable(RuntimeError):
    """The registry could not answer (upstream down, timeout); nothing may be decided on its silence."""


class PersonCheckOutcome(enum.Enum):
    MATCH = "match"
    NAME_MISMATCH = "name_mismatch"
    NOT_FOUND = "not_found"
    DECEASED = "deceased"


@dataclass(frozen=True)
class PersonCheck:
    """The registry's answer about one name + ID number pair."""

    outcome: PersonCheckOutcome

    @property
    def matched(self) -> bool:
        return self.outcome is PersonCheckOutcome.MATCH


@dataclass(frozen=True)
class EntityRecord:
    """What the legal-entity registry says about one unified social credit code."""

    uscc: str
    name: str
    representative_name: str
    representative_id_number: str
    status: str
    region_code: str = ""

    @property
    def active(self) -> bool:
        return self.status == LegalEntityRecord.Status.ACTIVE


def normalise_name(name: str) -> str:
    """A name as registries compare it: NFKC (full-width forms folded), no spaces, one kind of middle dot.

    Names of several ethnic groups join parts with a middle dot typed in many ways (·, •, ・, ．).
    """
    folded = unicodedata.normalize("NFKC", name or "")
    folded = "".join(folded.split())
    for dot in ("•", "・", "．", ".", "‧"):
        folded = folded.replace(dot, "·")
    return folded


class PopulationRegistry:
    """Interface of the population registry (人口基础库)."""

    def verify(self, name: str, id_number: str) -> PersonCheck:
        raise NotImplementedError


class LegalEntityRegistry:
    """Interface of the legal-entity registry (法人基础库)."""

    def lookup(self, uscc: str) -> EntityRecord | None:
        raise NotImplementedError


class LocalPopulationRegistry(PopulationRegistry):
    """Answers from the PopulationRecord mirror table (one indexed lookup by the ID number's blind index)."""

    def verify(self, name: str, id_number: str) -> PersonCheck:
        record = PopulationRecord.objects.filter(id_number_index=blind_index("id_number", id_number)).first()
        if record is None:
            return PersonCheck(PersonCheckOutcome.NOT_FOUND)
        if normalise_name(record.name) != normalise_name(name):
            return PersonCheck(PersonCheckOutcome.NAME_MISMATCH)
        if not record.alive:
            return PersonCheck(PersonCheckOutcome.DECEASED)
        return PersonCheck(PersonCheckOutcome.MATCH)


class LocalLegalEntityRegistry(LegalEntityRegistry):
    """Answers from the LegalEntityRecord mirror table."""

    def lookup(self, uscc: str) -> EntityRecord | None:
        record = LegalEntityRecord.objects.filter(uscc=normalize_uscc(uscc)).first()
        if record is None:
            return None
        return EntityRecord(
            uscc=record.uscc,
            name=record.name,
            representative_name=record.representative_name,
            representative_id_number=record.representative_id_number,
            status=record.status,
            region_code=record.region_code,
        )


def population_registry() -> PopulationRegistry:
    """The configured population registry provider (settings.TONGBAN_POPULATION_REGISTRY)."""
    return import_string(settings.TONGBAN_POPULATION_REGISTRY)()


def legal_entity_registry() -> LegalEntityRegistry:
    """The configured legal-entity registry provider (settings.TONGBAN_LEGAL_ENTITY_REGISTRY)."""
    return import_string(settings.TONGBAN_LEGAL_ENTITY_REGISTRY)()


# ---------------------------------------------------------------------------------------------------------------
# Writes to the local mirror tables (demo seed, admin, imports)


def population_record_view(record: PopulationRecord) -> dict:
    """What the audit log keeps of a registry record: masked, so the log never becomes a copy of the registry."""
    return {"name": mask_name(record.name), "id_number": mask_id_number(record.id_number), "alive": record.alive}


def legal_entity_record_view(record: LegalEntityRecord) -> dict:
    return {
        "uscc": record.uscc,
        "name": record.name,
        "representative_name": mask_name(record.representative_name),
        "representative_id_number": mask_id_number(record.representative_id_number),
        "status": record.status,
        "region_code": record.region_code,
    }


@transaction.atomic
def population_record_put(*, actor, name: str, id_number: str, alive: bool = True) -> PopulationRecord:
    """Create or update the mirror record of a resident (keyed by ID number); unchanged records write nothing."""
    id_number = normalize_id_number(id_number)
    record = (
        PopulationRecord.objects.select_for_update().filter(id_number_index=blind_index("id_number", id_number)).first()
    )
    before = population_record_view(record) if record else None
    if record is not None and (record.name, record.alive) == (name, alive):
        return record
    record = record or PopulationRecord(id_number=id_number)
    record.name, record.alive = name, alive
    record.save()
    audit.record(
        actor=actor, action="population_record.put", obj=record, before=before, after=population_record_view(record)
    )
    return record


@transaction.atomic
def legal_entity_record_put(
    *,
    actor,
    uscc: str,
    name: str,
    representative_name: str,
    representative_id_number: str,
    status: str = LegalEntityRecord.Status.ACTIVE,
    region_code: str = "",
) -> LegalEntityRecord:
    """Create or update the mirror record of a legal entity (keyed by credit code); unchanged records write nothing."""
    uscc = normalize_uscc(uscc)
    representative_id_number = normalize_id_number(representative_id_number)
    record = LegalEntityRecord.objects.select_for_update().filter(uscc=uscc).first()
    before = legal_entity_record_view(record) if record else None
    wanted = (name, representative_name, representative_id_number, status, region_code)
    if record is not None and wanted == (
        record.name,
        record.representative_name,
        record.representative_id_number,
        record.status,
        record.region_code,
    ):
        return record
    record = record or LegalEntityRecord(uscc=uscc)
    (
        record.name,
        record.representative_name,
        record.representative_id_number,
        record.status,
        record.region_code,
    ) = wanted
    record.save()
    audit.record(
        actor=actor, action="legal_entity_record.put", obj=record, before=before, after=legal_entity_record_view(record)
    )
    return record
