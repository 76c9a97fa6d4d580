"""CRM reads (savdo/crm/selectors.py): the dashboard and the sales analytics, in the store's time
zone, every bucket present, a constant number of queries."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.crm import selectors
from savdo.crm.choices import DealStatus, SalesPeriod
from savdo.customers.models import CustomerStatus
from tests.crm.factories import DealFactory
from tests.customers.factories import CustomerFactory

TODAY = date(2025, 3, 14)  # a Friday


def closed(tenant, customer, at: datetime, value, status=DealStatus.COMPLETED):
    return DealFactory(tenant=tenant, customer=customer, status=status, value=value, closed_at=at)


@pytest.fixture
def customer(tenant):
    return CustomerFactory(tenant=tenant, display_name="Aziza Karimova", company_name="Oqtepa")


# --- dashboard ---------------------------------------------------------------------------------------


def test_dashboard_figures(tenant, other_tenant, customer):
    CustomerFactory(tenant=tenant, status=CustomerStatus.ACTIVE)
    CustomerFactory(tenant=tenant, status=CustomerStatus.WAITING)
    CustomerFactory(tenant=tenant, status=CustomerStatus.BLOCKED)  # counted in the total only
    customer.status = CustomerStatus.POTENTIAL
    customer.save()
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.NEW)
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.IN_PROGRESS)
    closed(tenant, customer, datetime(2025, 3, 2, 8, tzinfo=UTC), 1000)
    closed(tenant, customer, datetime(2025, 3, 10, 8, tzinfo=UTC), "250.50")
    closed(tenant, customer, datetime(2025, 1, 20, 8, tzinfo=UTC), 700)
    closed(tenant, customer, datetime(2025, 2, 1, 8, tzinfo=UTC), 999, status=DealStatus.CANCELLED)
    closed(tenant, customer, datetime(2024, 3, 31, 8, tzinfo=UTC), 5)  # 12 months back: before the trend
    # another store's deals count nowhere
    closed(other_tenant, CustomerFactory(tenant=other_tenant), datetime(2025, 3, 3, tzinfo=UTC), 10**6)

    board = selectors.crm_dashboard(tenant=tenant, today=TODAY)

    assert board.total_customers == 4
    assert board.customers_by_status == {"active": 1, "potential": 1, "waiting": 1}
    assert board.monthly_sales == Decimal("1250.50")
    assert board.active_deals == 2
    assert board.conversion_rate == Decimal("80.00")  # 4 completed of 5 closed
    assert [(month.isoformat(), sales) for month, sales in board.sales_trend] == [
        ("2024-04-01", Decimal("0.00")),
        ("2024-05-01", Decimal("0.00")),
        ("2024-06-01", Decimal("0.00")),
        ("2024-07-01", Decimal("0.00")),
        ("2024-08-01", Decimal("0.00")),
        ("2024-09-01", Decimal("0.00")),
        ("2024-10-01", Decimal("0.00")),
        ("2024-11-01", Decimal("0.00")),
        ("2024-12-01", Decimal("0.00")),
        ("2025-01-01", Decimal("700.00")),
        ("2025-02-01", Decimal("0.00")),
        ("2025-03-01", Decimal("1250.50")),
    ]


def test_an_empty_store_answers_zeros(tenant):
    board = selectors.crm_dashboard(tenant=tenant, today=TODAY)
    assert (board.total_customers, board.monthly_sales, board.active_deals, board.conversion_rate) == (
        0,
        Decimal("0.00"),
        0,
        Decimal("0.00"),
    )
    assert board.customers_by_status == {"active": 0, "potential": 0, "waiting": 0}
    assert len(board.sales_trend) == 12 and all(sales == 0 for _month, sales in board.sales_trend)


def test_months_are_the_stores_local_months(tenant, customer):
    # 2025-02-28 20:30 UTC is 2025-03-01 01:30 in Tashkent (+05:00): a March sale there.
    closed(tenant, customer, datetime(2025, 2, 28, 20, 30, tzinfo=UTC), 100)
    trend = dict(selectors.crm_dashboard(tenant=tenant, today=TODAY).sales_trend)
    assert (trend[date(2025, 2, 1)], trend[date(2025, 3, 1)]) == (Decimal("0.00"), Decimal("100.00"))
    # the same moment in a store west of UTC is still February
    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    trend = dict(selectors.crm_dashboard(tenant=tenant, today=TODAY).sales_trend)
    assert (trend[date(2025, 2, 1)], trend[date(2025, 3, 1)]) == (Decimal("100.00"), Decimal("0.00"))


def test_conversion_rate_formula():
    assert selectors.conversion_rate(0, 0) == Decimal("0.00")
    assert selectors.conversion_rate(2, 1) == Decimal("66.67")
    assert selectors.conversion_rate(0, 3) == Decimal("0.00")
    assert selectors.conversion_rate(5, 0) == Decimal("100.00")


def test_dashboard_query_count_does_not_grow_with_deals(tenant, customer):
    closed(tenant, customer, datetime(2025, 3, 2, tzinfo=UTC), 1)
    with CaptureQueriesContext(connection) as few:
        selectors.crm_dashboard(tenant=tenant, today=TODAY)
    for day in range(1, 28):
        closed(tenant, CustomerFactory(tenant=tenant), datetime(2024, 12, day, tzinfo=UTC), day)
        DealFactory(tenant=tenant, customer=customer)
    with CaptureQueriesContext(connection) as many:
        selectors.crm_dashboard(tenant=tenant, today=TODAY)
    assert len(few) == len(many) == 3


# --- sales -------------------------------------------------------------------------------------------


def test_sales_daily_every_day_present(tenant, customer):
    closed(tenant, customer, datetime(2025, 3, 2, 4, tzinfo=UTC), 100)
    closed(tenant, customer, datetime(2025, 3, 2, 10, tzinfo=UTC), "50.25")
    closed(tenant, customer, datetime(2025, 3, 4, 10, tzinfo=UTC), 10)
    # 2025-03-04 19:30 UTC is 2025-03-05 00:30 local: past the range's end
    closed(tenant, customer, datetime(2025, 3, 4, 19, 30, tzinfo=UTC), 7)
    closed(tenant, customer, datetime(2025, 3, 3, tzinfo=UTC), 999, status=DealStatus.CANCELLED)
    report = selectors.crm_sales(
        tenant=tenant, start=date(2025, 3, 1), end=date(2025, 3, 4), period=SalesPeriod.DAILY, today=TODAY
    )
    assert [(row.label, row.sales, row.deals) for row in report.by_period] == [
        ("2025-03-01", Decimal("0.00"), 0),
        ("2025-03-02", Decimal("150.25"), 2),
        ("2025-03-03", Decimal("0.00"), 0),
        ("2025-03-04", Decimal("10.00"), 1),
    ]
    assert report.total_sales == Decimal("160.25")


def test_sales_weekly_iso_labels_across_the_year(tenant, customer):
    # 2024-12-30 (Monday) starts ISO week 2025-W01
    closed(tenant, customer, datetime(2024, 12, 31, 8, tzinfo=UTC), 100)
    closed(tenant, customer, datetime(2024, 12, 29, 8, tzinfo=UTC), 40)  # Sunday of 2024-W52
    closed(tenant, customer, datetime(2025, 1, 6, 8, tzinfo=UTC), 5)  # 2025-W02
    report = selectors.crm_sales(
        tenant=tenant, start=date(2024, 12, 25), end=date(2025, 1, 8), period=SalesPeriod.WEEKLY, today=TODAY
    )
    assert [(row.label, row.sales, row.deals) for row in report.by_period] == [
        ("2024-W52", Decimal("40.00"), 1),
        ("2025-W01", Decimal("100.00"), 1),
        ("2025-W02", Decimal("5.00"), 1),
    ]


def test_sales_monthly_and_yearly(tenant, customer):
    closed(tenant, customer, datetime(2023, 12, 31, 20, tzinfo=UTC), 1)  # 2024-01-01 local
    closed(tenant, customer, datetime(2024, 6, 15, tzinfo=UTC), 2)
    closed(tenant, customer, datetime(2025, 2, 15, tzinfo=UTC), 4)
    monthly = selectors.crm_sales(
        tenant=tenant, start=date(2024, 11, 20), end=date(2025, 2, 3), period=SalesPeriod.MONTHLY, today=TODAY
    )
    assert [row.label for row in monthly.by_period] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert monthly.total_sales == Decimal("0.00")  # the February sale is after the 3rd
    yearly = selectors.crm_sales(
        tenant=tenant, start=date(2023, 1, 1), end=date(2025, 12, 31), period=SalesPeriod.YEARLY, today=TODAY
    )
    assert [(row.label, row.sales, row.deals) for row in yearly.by_period] == [
        ("2023", Decimal("0.00"), 0),
        ("2024", Decimal("3.00"), 2),
        ("2025", Decimal("4.00"), 1),
    ]


def test_top_customers_by_value(tenant, other_tenant):
    first = CustomerFactory(tenant=tenant, display_name="Bobur Aliyev")
    second = CustomerFactory(tenant=tenant, first_name="Ivan", last_name="Petrov", display_name="")
    third = CustomerFactory(tenant=tenant, display_name="", company_name="Oqtepa LLC", customer_type="company")
    moment = datetime(2025, 3, 2, 8, tzinfo=UTC)
    closed(tenant, first, moment, 100)
    closed(tenant, first, moment, 300)
    closed(tenant, second, moment, 500)
    closed(tenant, third, moment, 400)
    closed(tenant, third, moment, 10**6, status=DealStatus.CANCELLED)
    DealFactory(tenant=tenant, customer=second, value=10**6)  # open: not a sale
    closed(other_tenant, CustomerFactory(tenant=other_tenant), moment, 10**7)
    report = selectors.crm_sales(
        tenant=tenant, start=date(2025, 3, 1), end=date(2025, 3, 31), period=SalesPeriod.MONTHLY, today=TODAY
    )
    assert [(top.customer_id, top.name, top.total_value) for top in report.top_customers] == [
        (second.pk, "Petrov Ivan", Decimal("500.00")),
        (first.pk, "Bobur Aliyev", Decimal("400.00")),
        (third.pk, "Oqtepa LLC", Decimal("400.00")),
    ]


def test_sales_default_ranges(tenant):
    def default(period, start=None, end=None):
        return selectors.default_sales_range(tenant=tenant, start=start, end=end, period=period, today=TODAY)

    assert default(SalesPeriod.DAILY) == (date(2025, 2, 13), TODAY)
    assert default(SalesPeriod.WEEKLY) == (date(2024, 12, 23), TODAY)  # 12 ISO weeks, Monday first
    assert default(SalesPeriod.MONTHLY) == (date(2024, 4, 1), TODAY)
    assert default(SalesPeriod.YEARLY) == (date(2021, 1, 1), TODAY)
    assert default(SalesPeriod.MONTHLY, start=date(2025, 1, 5)) == (date(2025, 1, 5), TODAY)
    assert default(SalesPeriod.MONTHLY, start=date(2025, 6, 1)) == (date(2025, 6, 1), date(2025, 6, 1))
    assert default(SalesPeriod.DAILY, end=date(2025, 1, 31)) == (date(2025, 1, 2), date(2025, 1, 31))


def test_sales_refuses_bad_input(tenant):
    with pytest.raises(ValidationError) as refused:
        selectors.crm_sales(tenant=tenant, period="hourly")
    assert list(refused.value.message_dict) == ["period"]
    with pytest.raises(ValidationError) as refused:
        selectors.crm_sales(tenant=tenant, start=date(2025, 3, 2), end=date(2025, 3, 1), period="daily")
    assert list(refused.value.message_dict) == ["endDate"]
    with pytest.raises(ValidationError) as refused:
        selectors.crm_sales(tenant=tenant, start=date(2020, 1, 1), end=date(2025, 1, 1), period="daily")
    assert list(refused.value.message_dict) == ["period"]
    # the same range by month is fine
    assert len(selectors.crm_sales(tenant=tenant, start=date(2020, 1, 1), end=date(2025, 1, 1)).by_period) == 61


def test_sales_query_count_does_not_grow_with_deals(tenant, customer):
    def run():
        with CaptureQueriesContext(connection) as queries:
            selectors.crm_sales(
                tenant=tenant, start=date(2024, 1, 1), end=date(2025, 3, 14), period=SalesPeriod.DAILY, today=TODAY
            )
        return len(queries)

    closed(tenant, customer, datetime(2025, 3, 2, tzinfo=UTC), 1)
    few = run()
    for day in range(1, 28):
        closed(tenant, CustomerFactory(tenant=tenant), datetime(2024, 12, day, tzinfo=UTC), day)
    assert run() == few == 3  # buckets, top customers, their names


def test_bucket_helpers():
    assert selectors.bucket_count(date(2024, 1, 1), date(2024, 12, 31), SalesPeriod.DAILY) == 366
    assert selectors.bucket_count(date(2024, 12, 25), date(2025, 1, 8), SalesPeriod.WEEKLY) == 3
    assert selectors.bucket_count(date(2024, 11, 20), date(2025, 2, 3), SalesPeriod.MONTHLY) == 4
    assert selectors.bucket_label(date(2021, 1, 4), SalesPeriod.WEEKLY) == "2021-W01"
    assert selectors.bucket_label(date(2020, 12, 28), SalesPeriod.WEEKLY) == "2020-W53"
    assert selectors.add_months(date(2025, 1, 31), -1) == date(2024, 12, 1)
