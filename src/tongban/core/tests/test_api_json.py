"""core.api_json: the API's encoder writes every value exactly as django-ninja's does."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import uuid

from django.utils.translation import gettext_lazy
from ninja.responses import NinjaJSONEncoder

from tongban.core.api_json import ApiJSONEncoder


class Colour(enum.Enum):
    RED = "red"


VALUES = {
    "date": dt.date(2026, 11, 22),
    "datetime": dt.datetime(2026, 11, 22, 8, 30, 1, 123456, tzinfo=dt.UTC),
    "shanghai": dt.datetime(2026, 11, 22, 16, 30, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    "naive": dt.datetime(2026, 11, 22, 8, 30),
    "time": dt.time(8, 30, 1, 500000),
    "duration": dt.timedelta(days=1, seconds=5),
    "uuid": uuid.UUID("c3f3c355-2a4c-403b-91ed-7ac4975d4710"),
    "decimal": decimal.Decimal("12.50"),
    "lazy": gettext_lazy("办件编号"),
    "enum": Colour.RED,
    "rows": [{"due_on": dt.date(2027, 1, 4), "id": uuid.UUID(int=1)}],
}


def test_every_value_is_written_as_ninjas_encoder_writes_it():
    ours = json.dumps(VALUES, cls=ApiJSONEncoder, ensure_ascii=False)

    assert ours == json.dumps(VALUES, cls=NinjaJSONEncoder, ensure_ascii=False)
    assert '"date": "2026-11-22"' in ours and '"uuid": "c3f3c355-2a4c-403b-91ed-7ac4975d4710"' in ours
    assert '"datetime": "2026-11-22T08:30:01.123Z"' in ours  # Django's: milliseconds, Z for UTC


def test_the_api_answers_through_it():
    from tongban.api import api

    assert isinstance(api.renderer.encoder_class(), ApiJSONEncoder)
