"""Dates people type, and the instants that bound a store's local days.

Every date an API client sends in a query string (`?date_from=`, `?end_date=`, `?date=`, ...) goes
through one parser, `parse_query_date`, or through the serializer field and the filter built on it
(`QueryDateField`, `QueryDateFilter`): an ISO date (`YYYY-MM-DD`) from `MIN_QUERY_DATE` to
`MAX_QUERY_DATE`, else a 400 whose message names that range, in the request's language. The range
leaves room on both sides for the arithmetic reports do with a date (a default period of a year
before it, the day after it, the tenant's UTC offset), so no date a client can type overflows.
Moments (`?due_before=2025-01-31T18:00`) have the same rules and range: `parse_query_datetime`,
`QueryDateTimeField`, `QueryDateTimeFilter`.

`local_day_bounds` turns local days into the UTC instants that bound them; at the ends of Python's
calendar it clamps instead of raising `OverflowError`, for callers that reach it without the parser.
"""

from datetime import MINYEAR, UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import django_filters
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MIN_QUERY_DATE = date(1900, 1, 1)
MAX_QUERY_DATE = date(2999, 12, 31)

INVALID_QUERY_DATE = _("Enter a valid date from %(min)s to %(max)s in the format YYYY-MM-DD.")
INVALID_QUERY_DATETIME = _("Enter a valid date and time from %(min)s to %(max)s in the format YYYY-MM-DDThh:mm.")

# Moments a client writes and reads back (a due date, a last purchase) start at the Unix epoch:
# before standard time a zone kept local mean time, whose offset has seconds (Asia/Tashkent
# +04:37:11 until 1924), and an answer in the store's time zone cannot carry one in RFC 3339 (the
# schema's `format: date-time`).
MIN_MOMENT_DATE = date(1970, 1, 1)

EARLIEST_INSTANT = datetime.min.replace(tzinfo=UTC)
LATEST_INSTANT = datetime.max.replace(tzinfo=UTC)


def query_date_message() -> str:
    """The refusal of a date outside the allowed range or not a date, in the active language."""
    return INVALID_QUERY_DATE % {"min": MIN_QUERY_DATE.isoformat(), "max": MAX_QUERY_DATE.isoformat()}


def query_date_or_none(value) -> date | None:
    """`value` (text such as `2024-05-31`, or a `date`) as a date within the allowed range; None when
    it is not one (malformed, impossible such as `2024-02-30`, or out of range)."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = parse_date(value.strip())
        except ValueError:  # well formed but impossible: 2024-02-30, 0000-01-01
            return None
    else:
        return None
    if day is None or not MIN_QUERY_DATE <= day <= MAX_QUERY_DATE:
        return None
    return day


def parse_query_date(value, *, field: str) -> date:
    """The date a client gave in query parameter `field`.

    Accepts an ISO date (`YYYY-MM-DD`) or a `date`, from `MIN_QUERY_DATE` to `MAX_QUERY_DATE`.
    Raises DRF's ValidationError `{field: [message]}` (a 400 in the surface's shape) for anything
    else; the message names the allowed range.
    """
    day = query_date_or_none(value)
    if day is None:
        raise serializers.ValidationError({field: [query_date_message()]})
    return day


def optional_query_date(query_params, field: str) -> date | None:
    """`parse_query_date` of `query_params[field]`; None when the parameter is absent or empty."""
    value = query_params.get(field)
    if value is None or value == "":
        return None
    return parse_query_date(value, field=field)


class QueryDateField(serializers.DateField):
    """A serializer's date query parameter: `parse_query_date`'s rules, rendered as DRF's DateField
    (`format: date` in the schema, its description naming the range)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"A date (YYYY-MM-DD) from {MIN_QUERY_DATE} to {MAX_QUERY_DATE}.")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = query_date_or_none(value)
        if day is None:
            raise serializers.ValidationError(query_date_message(), code="invalid")
        return day


class QueryDateFormField(forms.DateField):
    """The form field behind `QueryDateFilter`: empty means "no filter", anything else must pass
    `parse_query_date`'s rules."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        day = query_date_or_none(value)
        if day is None:
            raise forms.ValidationError(query_date_message(), code="invalid")
        return day


class QueryDateFilter(django_filters.DateFilter):
    """django-filter's DateFilter with `parse_query_date`'s rules (a 400 naming the allowed range)."""

    field_class = QueryDateFormField


# --- moments ---------------------------------------------------------------------------------------


def moment_message() -> str:
    """The refusal of a written moment outside `MIN_MOMENT_DATE`..`MAX_QUERY_DATE`, in the active language."""
    return INVALID_QUERY_DATETIME % {"min": MIN_MOMENT_DATE.isoformat(), "max": MAX_QUERY_DATE.isoformat()}


def moment_in_range(moment: datetime) -> bool:
    """Whether an aware `moment` lies from `MIN_MOMENT_DATE` to `MAX_QUERY_DATE` (UTC dates)."""
    try:
        return MIN_MOMENT_DATE <= moment.astimezone(UTC).date() <= MAX_QUERY_DATE
    except (OverflowError, ValueError):  # next to year 1 or 9999
        return False


def query_datetime_message() -> str:
    """The refusal of a moment outside the allowed range or not a moment, in the active language."""
    return INVALID_QUERY_DATETIME % {"min": MIN_QUERY_DATE.isoformat(), "max": MAX_QUERY_DATE.isoformat()}


def query_datetime_or_none(value) -> datetime | None:
    """`value` (ISO 8601 text such as `2025-01-31T18:00`, `...+05:00` or `...Z`, or a bare date for its
    midnight; or a datetime) as an aware datetime whose date lies in the allowed range; a moment
    without an offset is read in the current time zone. None when it is not one."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = parse_datetime(text)
            if moment is None and (day := parse_date(text)) is not None:
                moment = datetime.combine(day, time.min)
        except ValueError:  # well formed but impossible: 2024-02-30T10:00, 10:61
            return None
    else:
        return None
    if moment is None or not MIN_QUERY_DATE <= moment.date() <= MAX_QUERY_DATE:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_query_datetime(value, *, field: str) -> datetime:
    """The moment a client gave in query parameter `field`: `query_datetime_or_none`'s rules, else
    DRF's ValidationError `{field: [message]}` naming the allowed range."""
    moment = query_datetime_or_none(value)
    if moment is None:
        raise serializers.ValidationError({field: [query_datetime_message()]})
    return moment


class QueryDateTimeField(serializers.DateTimeField):
    """A serializer's moment query parameter with `parse_query_datetime`'s rules."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", f"A moment (ISO 8601) from {MIN_QUERY_DATE} to {MAX_QUERY_DATE}.")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        moment = query_datetime_or_none(value)
        if moment is None:
            raise serializers.ValidationError(query_datetime_message(), code="invalid")
        return moment


class QueryDateTimeFormField(forms.DateTimeField):
    """The form field behind `QueryDateTimeFilter` (empty: no filter)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        moment = query_datetime_or_none(value)
        if moment is None:
            raise forms.ValidationError(query_datetime_message(), code="invalid")
        return moment


class QueryDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's IsoDateTimeFilter with `parse_query_datetime`'s rules."""

    field_class = QueryDateTimeFormField


# --- local days as instants ----------------------------------------------------------------------


def _zone(where) -> tzinfo:
    """A tenant's (or anything with a `time_zone` name's) zone, or a tzinfo as given."""
    if isinstance(where, tzinfo):
        return where
    try:
        return ZoneInfo(where.time_zone)
    except (ZoneInfoNotFoundError, ValueError):  # a mistyped zone falls back to the project's
        return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date, where) -> datetime:
    """The UTC instant local day `day` starts at in `where` (a tenant or a tzinfo); clamped to the
    first or last instant Python can hold when the day lies at the edge of its calendar."""
    zone = _zone(where)
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return EARLIEST_INSTANT if day.year == MINYEAR else LATEST_INSTANT


def local_day_bounds(where, first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) as UTC instants covering local days `first`..`last` inclusive in `where` (a
    tenant, or anything with a `time_zone` name, or a tzinfo).

    Never raises OverflowError: a bound past the ends of Python's calendar is clamped to its first or
    last instant (the last microsecond of 9999-12-31 UTC then falls outside, which no stored moment
    reaches).
    """
    zone = _zone(where)
    start = local_midnight(first, zone)
    end = LATEST_INSTANT if last >= date.max else local_midnight(last + timedelta(days=1), zone)
    return start, end


def days_before(day: date, days: int) -> date:
    """`day` minus `days` days, or the first day of Python's calendar when that is earlier."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min
