"""The one parser of query-parameter dates, and local day bounds that never overflow."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from savdo.core.dates import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_QUERY_DATE,
    MIN_QUERY_DATE,
    QueryDateField,
    QueryDateFilter,
    QueryDateTimeField,
    QueryDateTimeFilter,
    days_before,
    local_day_bounds,
    optional_query_date,
    parse_query_date,
    parse_query_datetime,
)

RANGE_MESSAGE = {
    "en": "Enter a valid date from 1900-01-01 to 2999-12-31 in the format YYYY-MM-DD.",
    "ru": "Введите правильную дату от 1900-01-01 до 2999-12-31 в формате YYYY-MM-DD.",
    "uz": "1900-01-01 dan 2999-12-31 gacha bo'lgan to'g'ri sanani YYYY-MM-DD ko'rinishida kiriting.",
}


class Tenantish:
    def __init__(self, time_zone: str):
        self.time_zone = time_zone


def refusal(value, field="date_to", lang="en") -> dict:
    with translation.override(lang), pytest.raises(serializers.ValidationError) as caught:
        parse_query_date(value, field=field)
    return caught.value.detail


def test_the_range_is_what_the_message_says():
    assert (date(1900, 1, 1), date(2999, 12, 31)) == (MIN_QUERY_DATE, MAX_QUERY_DATE)


@pytest.mark.parametrize("value", ["1900-01-01", "2024-02-29", "2999-12-31", " 2024-05-31 "])
def test_dates_in_range_are_parsed(value):
    assert parse_query_date(value, field="d") == date.fromisoformat(value.strip())


def test_a_date_object_passes_through():
    assert parse_query_date(date(2024, 5, 31), field="d") == date(2024, 5, 31)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31",
        "0001-01-01",
        "1899-12-31",
        "3000-01-01",
        "0000-01-01",
        "2024-02-30",
        "2024-13-01",
        "31.12.2024",
        "yesterday",
        "",
        "2024-05-31T10:00:00",
        "\x00",
        "9" * 500,
        None,
        17,
        ["2024-05-31"],
        datetime(2024, 5, 31, tzinfo=UTC),
    ],
)
def test_anything_else_is_a_field_error_naming_the_range(value):
    assert refusal(value) == {"date_to": [RANGE_MESSAGE["en"]]}


@pytest.mark.parametrize("lang", ["ru", "uz", "en"])
def test_the_refusal_speaks_the_request_language(lang):
    assert refusal("9999-12-31", field="end_date", lang=lang) == {"end_date": [RANGE_MESSAGE[lang]]}


def test_optional_query_date():
    assert optional_query_date({}, "date") is None
    assert optional_query_date({"date": ""}, "date") is None
    assert optional_query_date({"date": "2024-05-31"}, "date") == date(2024, 5, 31)
    with pytest.raises(serializers.ValidationError):
        optional_query_date({"date": "9999-12-31"}, "date")


def test_the_serializer_field_nests_its_message_under_the_field():
    class Query(serializers.Serializer):
        start_date = QueryDateField(required=False)

    with translation.override("en"):
        query = Query(data={"start_date": "0001-01-01"})
        assert not query.is_valid()
        assert query.errors == {"start_date": [RANGE_MESSAGE["en"]]}
    assert Query(data={"start_date": "2024-05-31"}).is_valid()


def test_the_filter_refuses_out_of_range_and_ignores_empty():
    field = QueryDateFilter().field
    assert field.clean("") is None
    assert field.clean("2024-05-31") == date(2024, 5, 31)
    from django import forms

    with translation.override("en"), pytest.raises(forms.ValidationError) as caught:
        field.clean("9999-12-31")
    assert caught.value.messages == [RANGE_MESSAGE["en"]]


@given(st.dates())
def test_every_date_is_parsed_or_refused_never_raised_otherwise(day):
    text = day.isoformat()
    if MIN_QUERY_DATE <= day <= MAX_QUERY_DATE:
        assert parse_query_date(text, field="d") == day
    else:
        with pytest.raises(serializers.ValidationError):
            parse_query_date(text, field="d")


# --- local day bounds ----------------------------------------------------------------------------


def test_bounds_of_a_local_day_in_tashkent():
    start, end = local_day_bounds(Tenantish("Asia/Tashkent"), date(2024, 5, 31), date(2024, 5, 31))
    assert start == datetime(2024, 5, 30, 19, 0, tzinfo=UTC)
    assert end == datetime(2024, 5, 31, 19, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_bounds_across_a_daylight_saving_change():
    start, end = local_day_bounds(ZoneInfo("Europe/Berlin"), date(2024, 3, 31), date(2024, 3, 31))
    assert end - start == timedelta(hours=23)


ZONES = ["Asia/Tashkent", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
def test_the_ends_of_the_calendar_clamp_instead_of_overflowing(zone):
    where = Tenantish(zone)
    start, end = local_day_bounds(where, date.min, date.max)
    assert start >= EARLIEST_INSTANT
    assert end == LATEST_INSTANT
    start, end = local_day_bounds(where, date.max, date.max)
    assert start <= end == LATEST_INSTANT
    start, end = local_day_bounds(where, date.min, date.min)
    assert EARLIEST_INSTANT <= start < end


@given(st.dates(), st.dates(), st.sampled_from([*ZONES, "Etc/GMT-14", "Etc/GMT+12"]))
def test_bounds_never_overflow_and_are_ordered(first, last, zone):
    first, last = min(first, last), max(first, last)
    start, end = local_day_bounds(ZoneInfo(zone), first, last)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert start < end


def test_a_fixed_offset_zone_is_accepted():
    start, _end = local_day_bounds(timezone(timedelta(hours=5)), date(2024, 1, 1), date(2024, 1, 1))
    assert start == datetime(2023, 12, 31, 19, tzinfo=UTC)


def test_days_before_clamps_at_the_first_day():
    assert days_before(date(2024, 1, 31), 30) == date(2024, 1, 1)
    assert days_before(date(1, 1, 5), 364) == date.min


# --- moments ---------------------------------------------------------------------------------------

MOMENT_MESSAGE = "Enter a valid date and time from 1900-01-01 to 2999-12-31 in the format YYYY-MM-DDThh:mm."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-31T18:00", datetime(2025, 1, 31, 13, 0, tzinfo=UTC)),  # read in Tashkent
        ("2025-01-31T18:00:00+00:00", datetime(2025, 1, 31, 18, 0, tzinfo=UTC)),
        ("2025-01-31T18:00Z", datetime(2025, 1, 31, 18, 0, tzinfo=UTC)),
        ("2025-01-31", datetime(2025, 1, 30, 19, 0, tzinfo=UTC)),
        ("2999-12-31T23:59:59-12:00", datetime(3000, 1, 1, 11, 59, 59, tzinfo=UTC)),
        ("1900-01-01T00:00+14:00", datetime(1899, 12, 31, 10, 0, tzinfo=UTC)),
    ],
)
def test_moments_in_range_are_parsed_as_aware(value, expected):
    moment = parse_query_datetime(value, field="due_before")
    assert moment.tzinfo is not None
    assert moment == expected


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01", "2024-02-30T10:00", "10:00", "", None, 5]
)
def test_other_moments_are_a_field_error_naming_the_range(value):
    with translation.override("en"), pytest.raises(serializers.ValidationError) as caught:
        parse_query_datetime(value, field="due_before")
    assert caught.value.detail == {"due_before": [MOMENT_MESSAGE]}


def test_the_moment_field_and_filter():
    from django import forms

    class Query(serializers.Serializer):
        due_before = QueryDateTimeField(required=False)

    with translation.override("en"):
        query = Query(data={"due_before": "9999-12-31T23:59:59"})
        assert not query.is_valid()
        assert query.errors == {"due_before": [MOMENT_MESSAGE]}
        field = QueryDateTimeFilter().field
        assert field.clean("") is None
        assert field.clean("2025-01-31T18:00Z") == datetime(2025, 1, 31, 18, 0, tzinfo=UTC)
        with pytest.raises(forms.ValidationError) as caught:
            field.clean("0001-01-01T00:00:00")
        assert caught.value.messages == [MOMENT_MESSAGE]


@given(st.datetimes(timezones=st.none() | st.timezones()))
def test_every_moment_is_parsed_or_refused(moment):
    text = moment.isoformat()
    if MIN_QUERY_DATE <= moment.date() <= MAX_QUERY_DATE:
        parsed = parse_query_datetime(text, field="d")
        assert parsed.tzinfo is not None
        parsed.astimezone(UTC)  # never overflows
    else:
        with pytest.raises(serializers.ValidationError):
            parse_query_datetime(text, field="d")
