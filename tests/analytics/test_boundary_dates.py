"""Every date a client can type in an analytics query is a 2xx or a 400 naming the allowed range
(issue 25: `end_date=0001-01-01` and `9999-12-31` overflowed into 500s)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from savdo.core.dates import MAX_QUERY_DATE, MIN_QUERY_DATE

RANGE = {
    "ru": "Введите правильную дату от 1900-01-01 до 2999-12-31 в формате YYYY-MM-DD.",
    "en": "Enter a valid date from 1900-01-01 to 2999-12-31 in the format YYYY-MM-DD.",
}
PERIOD_ROUTES = [
    "/api/analytics/daily-sales/",
    "/api/analytics/daily-sales/period/",
    "/api/analytics/product-performance/top-products/",
    "/api/analytics/customer-analytics/segments/",
    "/api/analytics/customer-analytics/at-risk/",
]
OUT_OF_RANGE = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"]


@pytest.mark.parametrize("route", PERIOD_ROUTES)
@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_date_outside_the_range_is_a_400_naming_it(manager, route, field, value):
    response = manager.client.get(route, {field: value})
    assert response.status_code == 400, response.content
    assert response.json() == {field: [RANGE["ru"]]}


@pytest.mark.parametrize("route", PERIOD_ROUTES)
def test_the_message_follows_accept_language(manager, route):
    response = manager.client.get(route, {"end_date": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"end_date": [RANGE["en"]]}


@pytest.mark.parametrize("route", PERIOD_ROUTES)
@pytest.mark.parametrize(
    "query",
    [
        {"end_date": "1900-01-01"},
        {"start_date": "2999-12-01", "end_date": "2999-12-31"},
        {"start_date": "1900-01-01", "end_date": "1900-01-01"},
        {"end_date": "2999-12-31", "start_date": "2999-12-31"},
    ],
)
def test_the_edges_of_the_range_answer(manager, route, query):
    response = manager.client.get(route, query)
    assert response.status_code == 200, response.content


def test_a_snapshot_date_outside_the_range_is_a_400(manager):
    for value in OUT_OF_RANGE:
        response = manager.client.get("/api/analytics/inventory-snapshots/", {"date": value})
        assert response.status_code == 400
        assert response.json() == {"date": [RANGE["ru"]]}
    edge = manager.client.get("/api/analytics/inventory-snapshots/", {"date": "2999-12-31"})
    assert edge.status_code == 404  # no snapshot that day: the documented answer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(), field=st.sampled_from(["start_date", "end_date"]), route=st.sampled_from(PERIOD_ROUTES))
def test_any_date_is_an_answer_or_a_400(manager, day, field, route):
    response = manager.client.get(route, {field: day.isoformat()})
    if MIN_QUERY_DATE <= day <= MAX_QUERY_DATE:
        assert response.status_code in (200, 400), response.content
        if response.status_code == 400:  # the other bound is today: a reversed or too long period
            assert set(response.json()) == {"start_date"}
    else:
        assert response.status_code == 400
        assert response.json() == {field: [RANGE["ru"]]}
