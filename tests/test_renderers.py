import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from savdo.api.renderers import OrjsonRenderer


def test_orjson_renderer_matches_drf_json_renderer():
    data = {
        "money": decimal.Decimal("150000.00"),
        "when": datetime.datetime(2025, 11, 17, 13, 30, 0, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2025, 11, 17),
        "name": "Петров Иван",
        "message": gettext_lazy("Not found."),
        "nothing": None,
        "items": [1, 2.5, True],
        "key": uuid.UUID(int=1),
        "nested": {"a": {"b": [decimal.Decimal("0.001")]}},
    }
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)
    assert OrjsonRenderer().render(None) == b""
