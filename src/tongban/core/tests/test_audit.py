import pytest
from django.db import transaction

from tongban.core import audit
from tongban.core.models import AuditEntry


@pytest.mark.django_db
def test_entries_chain_from_genesis_and_verify():
    with transaction.atomic():
        first = audit.record(actor=None, action="test.first", object_type="x", object_id="1", after={"a": 1})
        second = audit.record(actor=None, action="test.second", object_type="x", object_id="1", after={"a": 2})
    assert first.prev_hash == audit.GENESIS_HASH
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == (2, None)
    assert AuditEntry.objects.get(pk=second.pk).actor_label == "系统"
