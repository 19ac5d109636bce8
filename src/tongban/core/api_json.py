"""The API's JSON renderer: django-ninja's, with the commonest values of the platform's answers written first.

A worklist answer hands the encoder two dates a row; ninja's `default` reaches Django's date branch only after eight
type checks (pydantic models, URLs, IP addresses, enums, datetimes): ~6 % of the review worklist API's Python calls.
`ApiJSONEncoder` hands dates, datetimes and UUIDs straight to DjangoJSONEncoder's own `default` (which is where
ninja's ends up for them) and leaves every other value to ninja's.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

# Values ninja's default passes on to Django's untouched: they go there first.
DJANGOS = frozenset({dt.date, dt.datetime, uuid.UUID})


class ApiJSONEncoder(NinjaJSONEncoder):
    """NinjaJSONEncoder's text for every value, without its chain of checks for dates, datetimes and UUIDs."""

    def default(self, o):
        if type(o) in DJANGOS:
            return DjangoJSONEncoder.default(self, o)
        return super().default(o)


class ApiJSONRenderer(JSONRenderer):
    encoder_class = ApiJSONEncoder
