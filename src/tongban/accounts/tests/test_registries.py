"""The registry providers: the local mirrors' answers, the settings switch, and audited writes to the mirrors."""

from __future__ import annotations

import pytest

from tongban.accounts import registries
from tongban.accounts.models import LegalEntityRecord, PopulationRecord
from tongban.accounts.registries import PersonCheck, PersonCheckOutcome
from tongban.accounts.tests.identity_fixtures import (
    CANCELLED,
    DEAD_ID,
    HAOWEIDAO,
    SUN_ID,
    UNKNOWN_ID,
)
from tongban.accounts.tests.identity_fixtures import (
    registries as seed,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _records():
    seed()


@pytest.mark.parametrize(
    ("name", "id_number", "outcome"),
    [
        ("孙丽华", SUN_ID, PersonCheckOutcome.MATCH),
        (" 孙 丽华 ", SUN_ID.lower(), PersonCheckOutcome.MATCH),
        ("孙丽", SUN_ID, PersonCheckOutcome.NAME_MISMATCH),
        ("孙丽华", UNKNOWN_ID, PersonCheckOutcome.NOT_FOUND),
        ("王老汉", DEAD_ID, PersonCheckOutcome.DECEASED),
    ],
)
def test_local_population_registry_answers(name, id_number, outcome):
    assert registries.LocalPopulationRegistry().verify(name, id_number) == PersonCheck(outcome)


def test_a_deceased_person_with_the_wrong_name_is_a_mismatch_not_a_death_notice():
    # Only someone who already knows the name learns anything more than "does not match".
    assert registries.LocalPopulationRegistry().verify("李四", DEAD_ID).outcome is PersonCheckOutcome.NAME_MISMATCH


def test_names_with_middle_dots_compare_equal_however_typed():
    assert registries.normalise_name("阿依古丽•买买提") == registries.normalise_name("阿依古丽·买买提")
    assert registries.normalise_name("ＡＢ") == "AB"


def test_local_legal_entity_registry_lookup():
    record = registries.LocalLegalEntityRegistry().lookup(HAOWEIDAO.lower())
    assert record == registries.EntityRecord(
        uscc=HAOWEIDAO,
        name="桐庐县好味道餐饮有限公司",
        representative_name="孙丽华",
        representative_id_number=SUN_ID,
        status="active",
        region_code="330122",
    )
    assert record.active
    assert not registries.LocalLegalEntityRegistry().lookup(CANCELLED).active
    assert registries.LocalLegalEntityRegistry().lookup("91330122MA2XXXXXX0") is None


class _Upstream(registries.PopulationRegistry):
    def verify(self, name, id_number):
        return PersonCheck(PersonCheckOutcome.DECEASED)


def test_providers_come_from_settings(settings):
    assert isinstance(registries.population_registry(), registries.LocalPopulationRegistry)
    assert isinstance(registries.legal_entity_registry(), registries.LocalLegalEntityRegistry)
    settings.TONGBAN_POPULATION_REGISTRY = f"{__name__}._Upstream"
    assert registries.population_registry().verify("孙丽华", SUN_ID).outcome is PersonCheckOutcome.DECEASED


def test_mirror_writes_are_audited_masked_and_unchanged_writes_skip():
    before = AuditEntry.objects.count()
    registries.population_record_put(actor=None, name="孙丽华", id_number=SUN_ID)
    assert AuditEntry.objects.count() == before
    registries.population_record_put(actor=None, name="孙丽华", id_number=SUN_ID, alive=False)
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "population_record.put"
    assert entry.before == {"name": "孙**", "id_number": SUN_ID[:4] + "*" * 10 + SUN_ID[-4:], "alive": True}
    assert entry.after["alive"] is False
    assert SUN_ID not in str(entry.before) + str(entry.after)
    assert PopulationRecord.objects.count() == 4

    registries.legal_entity_record_put(
        actor=None,
        uscc=HAOWEIDAO,
        name="桐庐县好味道餐饮有限公司",
        representative_name="孙丽华",
        representative_id_number=SUN_ID,
        status="revoked",
        region_code="330122",
    )
    assert LegalEntityRecord.objects.get(uscc=HAOWEIDAO).status == "revoked"
    assert AuditEntry.objects.order_by("-id").first().after["status"] == "revoked"
