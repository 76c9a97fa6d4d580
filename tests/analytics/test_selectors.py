"""Analytics selectors against numbers recomputed from the raw sales (`tests.analytics.recompute`)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.analytics import constants, selectors
from savdo.sales.models import Refund, Sale
from tests.analytics import recompute
from tests.analytics.shop import NOON, build_shop, days_ago
from tests.sales.factories import make_customer

TODAY = NOON.date()


# --- the RFM table --------------------------------------------------------------------------------


def test_every_score_has_exactly_one_segment_and_every_segment_is_reachable():
    seen = set()
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                segment = constants.segment_for(r, f, m)
                assert segment in constants.SEGMENTS
                seen.add(segment)
    assert seen == set(constants.SEGMENTS)
    assert len(constants.SEGMENTS) == 10


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "Champions"),
        ((4, 5, 5), "Champions"),
        ((4, 4, 4), "Loyal Customers"),
        ((5, 2, 3), "Potential Loyalist"),
        ((5, 1, 1), "Recent Customers"),
        ((4, 1, 1), "Promising"),
        ((3, 2, 2), "Need Attention"),
        ((2, 3, 4), "At Risk"),
        ((1, 5, 5), "Can't Lose Them"),
        ((2, 1, 2), "Hibernating"),
        ((1, 1, 1), "Lost"),
    ],
)
def test_segment_examples(scores, segment):
    assert constants.segment_for(*scores) == segment


def test_fm_is_the_mean_rounded_half_up():
    assert constants.fm_score(1, 2) == 2
    assert constants.fm_score(4, 5) == 5
    assert constants.fm_score(3, 3) == 3
    assert constants.fm_score(1, 1) == 1


# --- periods and stock arithmetic ----------------------------------------------------------------------


def test_periods(tenant, clock):
    assert selectors.tenant_today(tenant) == TODAY
    period = selectors.last_days(tenant, 30)
    assert (period.start, period.end, period.days) == (date(2024, 12, 19), TODAY, 30)
    assert list(selectors.Period(date(2025, 1, 30), date(2025, 2, 2)).dates()) == [
        date(2025, 1, 30),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 2),
    ]
    assert selectors.period_or_default(tenant, None, date(2025, 1, 10), 10) == selectors.Period(
        date(2025, 1, 1), date(2025, 1, 10)
    )
    # 19:30 UTC is already tomorrow in Tashkent.
    clock.set(NOON.replace(hour=0, minute=30))
    assert selectors.tenant_today(tenant) == TODAY


def test_today_follows_the_tenants_time_zone(tenant, clock):
    tenant.time_zone = "America/New_York"
    assert selectors.tenant_today(tenant) == date(2025, 1, 17)  # 02:00 in New York
    clock.set(NOON.replace(hour=9))  # 04:00 UTC = 23:00 in New York the day before
    assert selectors.tenant_today(tenant) == date(2025, 1, 16)


@pytest.mark.parametrize(
    ("available", "sold", "days"),
    [
        ("10", "30", Decimal("10.0")),
        ("10", "1", Decimal("300.0")),
        ("1", "7", Decimal("4.3")),
        ("0", "5", Decimal("0.0")),
        ("-2", "5", Decimal("0.0")),
        ("5", "0", None),
    ],
)
def test_days_of_stock(available, sold, days):
    assert selectors.days_of_stock(Decimal(available), Decimal(sold), 30) == days


def test_average_is_zero_without_sales():
    assert selectors.average(Decimal("100.00"), 0) == Decimal("0.00")
    assert selectors.average(Decimal("100.00"), 3) == Decimal("33.33")
    assert selectors.average(Decimal("200.00"), 3) == Decimal("66.67")


# --- reports against the raw sales -----------------------------------------------------------------------


def _active_days(tenant) -> set[date]:
    return {
        recompute.local_day(tenant, s.completed_at) for s in Sale.objects.filter(tenant=tenant) if s.completed_at
    } | {recompute.local_day(tenant, r.created_at) for r in Refund.objects.filter(tenant=tenant)}


def test_every_day_of_the_year_equals_the_raw_sales(tenant, clock, shop):
    period = selectors.Period(TODAY - timedelta(days=410), TODAY)
    reports = selectors.daily_reports(tenant=tenant, period=period)
    assert [r.date for r in reports] == list(period.dates())
    active = _active_days(tenant)
    assert len(active) > 20
    for report in reports:
        if report.date in active:
            expected = recompute.day_numbers(tenant, report.date)
            assert report.total_sales == expected["net"]
            assert report.total_sales_count == expected["count"]
            assert report.gross_sales == expected["gross"]
            assert report.total_refunds == expected["refunded"]
            assert report.total_discount == expected["discount"]
            assert report.total_tax == expected["tax"]
            assert report.total_items_sold == expected["items"]
            assert report.unique_customers == expected["customers"]
            assert report.total_cost == expected["cost"]
            assert report.payments == expected["payments"]
        else:
            assert report == selectors.DailyReport(id=None, date=report.date)


def test_rfm_equals_the_raw_sales(tenant, clock, shop):
    period = selectors.last_days(tenant, 365)
    expected = recompute.rfm(tenant, period.start, period.end)
    got = {row.customer_id: row for row in selectors.rfm_customers(tenant=tenant, period=period)}
    recompute.assert_rfm_rows(got, expected)
    champion, lost = shop.customers[0], shop.customers[9]
    assert got[champion.pk].segment == "Champions"
    assert got[champion.pk].rfm_score == "555"
    assert got[lost.pk].segment == "Lost"
    assert got[lost.pk].rfm_score == "111"


def test_equal_values_share_a_score(tenant, clock):
    """Ten customers who each bought once: the same F for all (NTILE would give them 1..5)."""
    shop = build_shop(tenant, clock, rich=False)
    for index in range(10):
        shop.sell([("milk", 1)], at=days_ago(index, 10), customer=make_customer(tenant, first_name=f"Bir{index}"))
    rows = selectors.rfm_customers(tenant=tenant, period=selectors.last_days(tenant, 365))
    assert {row.frequency_score for row in rows} == {1}
    assert {row.monetary_score for row in rows} == {1}
    assert sorted(row.recency_score for row in rows) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_period_bounds_are_local_days(tenant, clock):
    shop = build_shop(tenant, clock, rich=False)
    early, late = make_customer(tenant, first_name="Erta"), make_customer(tenant, first_name="Kech")
    shop.sell([("milk", 1)], at=days_ago(10, 0, 5), customer=early)  # 00:05 local = 19:05 UTC the day before
    shop.sell([("milk", 1)], at=days_ago(11, 23, 55), customer=late)
    day = TODAY - timedelta(days=10)
    rows = selectors.rfm_customers(tenant=tenant, period=selectors.Period(day, day))
    assert [row.customer_id for row in rows] == [early.pk]


def test_segments_is_one_statement_and_counts_every_segment(tenant, clock, shop):
    period = selectors.last_days(tenant, 365)
    with CaptureQueriesContext(connection) as captured:
        summary = selectors.rfm_segments(tenant=tenant, period=period)
    assert len(captured) == 2  # the stored base's header (none here), the statement
    assert [s.segment for s in summary] == list(constants.SEGMENTS)
    assert sum(s.count for s in summary) == len(recompute.rfm(tenant, period.start, period.end))


def test_segments_of_a_shop_without_customers(tenant, clock):
    build_shop(tenant, clock, rich=False)
    summary = selectors.rfm_segments(tenant=tenant, period=selectors.last_days(tenant, 365))
    assert [(s.segment, s.count, s.total_spent, s.avg_purchase) for s in summary] == [
        (segment, 0, Decimal("0.00"), Decimal("0.00")) for segment in constants.SEGMENTS
    ]
    assert selectors.rfm_at_risk(tenant=tenant, period=selectors.last_days(tenant, 365)) == selectors.AtRiskPage([], 0)


def test_top_products_with_an_empty_period(tenant, clock, shop):
    assert selectors.top_products(tenant=tenant, period=selectors.Period(date(2020, 1, 1), date(2020, 1, 31))) == []


def test_stock_rows_of_no_products(tenant):
    assert selectors.stock_rows(tenant=tenant, products=[]) == []
