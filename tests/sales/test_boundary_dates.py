"""Every date a client can type in a sales, till or purchase-history query is a 2xx or a 400 naming
the allowed range (issue 25: `?date_to=9999-12-31` overflowed into 500s)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from savdo.core.dates import MAX_QUERY_DATE, MIN_QUERY_DATE
from tests.sales.factories import make_customer

RANGE = {
    "ru": "Введите правильную дату от 1900-01-01 до 2999-12-31 в формате YYYY-MM-DD.",
    "uz": "1900-01-01 dan 2999-12-31 gacha bo'lgan to'g'ri sanani YYYY-MM-DD ko'rinishida kiriting.",
}
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01", "2024-02-30", "31.12.2024"]


@pytest.fixture
def history(tenant):
    return f"/api/customers/customers/{make_customer(tenant).pk}/purchase-history/"


@pytest.fixture
def routes(history):
    return ["/api/sales/sales/", "/api/sales/sales/today/", history, "/api/products/stock-movements/"]


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_date_outside_the_range_is_a_400_naming_it(manager, routes, field, value):
    for route in routes:
        response = manager.client.get(route, {field: value})
        assert response.status_code == 400, (route, response.content)
        assert response.json() == {field: [RANGE["ru"]]}, route


def test_the_message_follows_accept_language(manager, routes):
    for route in routes:
        response = manager.client.get(route, {"date_to": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="uz")
        assert response.status_code == 400
        assert response.json() == {"date_to": [RANGE["uz"]]}


@pytest.mark.parametrize(
    "query",
    [
        {"date_to": "2999-12-31"},
        {"date_from": "1900-01-01"},
        {"date_from": "1900-01-01", "date_to": "2999-12-31"},
        {"date_from": "2999-12-31", "date_to": "1900-01-01"},
    ],
)
def test_the_edges_of_the_range_answer(manager, routes, query):
    for route in routes:
        response = manager.client.get(route, query)
        assert response.status_code == 200, (route, response.content)


def test_an_empty_filter_date_is_no_filter(manager):
    assert manager.client.get("/api/sales/sales/", {"date_to": ""}).status_code == 200


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(), field=st.sampled_from(["date_from", "date_to"]), index=st.integers(0, 3))
def test_any_date_is_an_answer_or_a_400(manager, routes, day, field, index):
    response = manager.client.get(routes[index], {field: day.isoformat()})
    if MIN_QUERY_DATE <= day <= MAX_QUERY_DATE:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 400
        assert response.json() == {field: [RANGE["ru"]]}
