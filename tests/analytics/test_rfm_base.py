"""The stored RFM base (`savdo refresh-rfm`) never changes an answer: with it, RFM segments, at-risk
pages and every customer's scores equal what the raw sales give (`tests.analytics.recompute`),
whatever was sold, refunded, committed late or slid out of the period since it was stored."""

from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from savdo.analytics import constants, selectors, services
from savdo.analytics.models import RFMBase, RFMBaseCustomer, RFMBaseDay
from savdo.sales.models import DailySales, Sale
from savdo.tenancy.models import Tenant
from tests.analytics import recompute
from tests.analytics.shop import NOON, build_shop, days_ago
from tests.factories import TenantFactory
from tests.sales.factories import make_customer

TODAY = NOON.date()
ALL_SEGMENTS = constants.SEGMENTS


def _stored_path_used(captured) -> bool:
    """Whether the stored base's rows were read (the windows around the cuts)."""
    return any("_pos BETWEEN" in query["sql"] for query in captured.captured_queries)


def _expected(tenant, period) -> dict[int, dict]:
    return recompute.rfm(tenant, period.start, period.end)


def _at_risk_order(expected: dict[int, dict], segments) -> list[int]:
    rows = [(cid, row) for cid, row in expected.items() if row["segment"] in segments]
    return [cid for cid, row in sorted(rows, key=lambda item: (-item[1]["spent"], item[1]["last"], item[0]))]


def assert_answers_equal_the_sales(tenant, *, stored: bool | None = None, pages: bool = True) -> bool:
    """Every RFM answer of the default period equals the raw sales' (and came from the stored base,
    or not, as `stored` says). Returns whether it came from the stored base."""
    tenant = Tenant.objects.get(pk=tenant.pk)
    period = selectors.last_days(tenant, constants.DEFAULT_RFM_DAYS)
    expected = _expected(tenant, period)
    with CaptureQueriesContext(connection) as captured:
        everyone = selectors.rfm_at_risk(tenant=tenant, period=period, limit=100_000, segments=ALL_SEGMENTS)
    used = _stored_path_used(captured)
    if stored is not None and expected:
        assert used == stored
    got = {row.customer_id: row for row in everyone.customers}
    assert everyone.total == len(expected)
    recompute.assert_rfm_rows(got, expected)
    assert [row.customer_id for row in everyone.customers] == _at_risk_order(expected, ALL_SEGMENTS)

    summary = selectors.rfm_segments(tenant=tenant, period=period)
    assert [
        {
            "segment": s.segment,
            "count": s.count,
            "total_spent": recompute.m(s.total_spent),
            "avg_purchase": recompute.m(s.avg_purchase),
            "purchases_count": s.purchases,
        }
        for s in summary
    ] == recompute.segments(tenant, period.start, period.end)

    at_risk = _at_risk_order(expected, constants.AT_RISK_SEGMENTS)
    page = selectors.rfm_at_risk(tenant=tenant, period=period)
    assert [row.customer_id for row in page.customers] == at_risk[:20]
    assert page.total == (len(at_risk) if at_risk else 0)
    if pages:
        for offset in range(len(at_risk) + 2):
            page = selectors.rfm_at_risk(tenant=tenant, period=period, offset=offset, limit=2)
            assert [row.customer_id for row in page.customers] == at_risk[offset : offset + 2]
            assert page.total == (len(at_risk) if page.customers else 0)
    return used


# --- the stored base --------------------------------------------------------------------------------


def test_refresh_stores_the_closed_days_of_the_default_period(tenant, clock, shop, other_shop):
    base = services.rfm_base_refresh(tenant=tenant)
    first, last = TODAY - timedelta(days=364), TODAY - timedelta(days=1)
    assert (base.first_day, base.last_day, base.time_zone) == (first, last, "Asia/Tashkent")
    assert (base.starts_at, base.ends_at) == (
        datetime(2024, 1, 18, 19, 0, tzinfo=UTC),
        datetime(2025, 1, 16, 19, 0, tzinfo=UTC),
    )
    expected = recompute.rfm(tenant, first, last)  # today's sales are not in it
    rows = list(RFMBaseCustomer.objects.filter(base=base))
    assert base.customers == len(rows) == len(expected) == 10
    assert {row.customer_id: (row.last_purchase, row.frequency, Decimal(row.monetary_cents) / 100) for row in rows} == {
        cid: (want["last"], want["count"], want["spent"]) for cid, want in expected.items()
    }
    # Positions: 1..n in value order (ties by customer); ranks: one plus the rows with a smaller value.
    for field, value in (("r", "last_purchase"), ("f", "frequency"), ("m", "monetary_cents")):
        ordered = sorted(rows, key=lambda row: (getattr(row, value), row.customer_id))
        assert [getattr(row, f"{field}_pos") for row in ordered] == list(range(1, len(rows) + 1))
        values = sorted(getattr(row, value) for row in rows)
        for row in rows:
            assert getattr(row, f"{field}_rank") == bisect_left(values, getattr(row, value)) + 1
    # The days' rollup counts, two days before the first up to today.
    days = {day.date: day for day in RFMBaseDay.objects.filter(base=base)}
    assert min(days) == first - timedelta(days=2) and max(days) == TODAY and len(days) == 367
    rollups = {row.date: row for row in DailySales.objects.filter(tenant=tenant)}
    for day, row in days.items():
        rollup = rollups.get(day)
        assert (row.sales_count, row.refunds_count) == (
            (rollup.sales_count, rollup.refunds_count) if rollup else (0, 0)
        )
    # Refreshing again replaces it; the other tenant's base is its own.
    other = services.rfm_base_refresh(tenant=other_shop.tenant)
    again = services.rfm_base_refresh(tenant=tenant)
    assert list(RFMBase.objects.filter(tenant=tenant)) == [again]
    assert not RFMBaseCustomer.objects.filter(base_id=base.pk).exists()
    assert RFMBaseCustomer.objects.filter(base=other).count() == 1


def test_answers_from_the_base_equal_the_sales_after_whatever_happened_since(tenant, clock, shop):
    assert_answers_equal_the_sales(tenant, stored=False)
    services.rfm_base_refresh(tenant=tenant)
    assert_answers_equal_the_sales(tenant, stored=True)
    c = shop.customers
    newcomer = make_customer(tenant, first_name="Yangi")
    shop.sell([("cheese", "2.000")], at=days_ago(0, 13), customer=newcomer)  # a new customer today
    shop.sell([("bread", 1)], at=days_ago(0, 13, 5), customer=c[9])  # Lost comes back
    shop.refund(shop.sales[20], at=days_ago(0, 13, 10))  # c6's last sale, refunded in full today
    shop.refund(shop.sales[1], [("milk", 1)], at=days_ago(0, 13, 20))  # part of c0's sale of 100 days ago
    # A checkout and a refund that happened yesterday but commit only now, after the refresh.
    shop.sell([("juice", 3)], at=days_ago(1, 23, 59), customer=c[7])
    shop.refund(shop.sales[9], [("milk", 1)], at=days_ago(1, 22))  # c1's sale of 2 days ago
    assert_answers_equal_the_sales(tenant, stored=True)


def test_the_base_serves_while_the_period_slides_a_few_days(tenant, clock, shop):
    services.rfm_base_refresh(tenant=tenant)
    far = make_customer(tenant, first_name="Uzoq")
    shop.sell([("milk", 2)], at=days_ago(364, 10), customer=far)  # leaves the period tomorrow
    for later in (1, 2, 3):  # both ends together 3, 5, 7 days off
        clock.set(NOON + timedelta(days=later))
        shop.sell([("bread", 1)], at=NOON + timedelta(days=later, hours=1), customer=shop.customers[later])
        clock.set(NOON + timedelta(days=later, hours=2))
        assert_answers_equal_the_sales(tenant, stored=True, pages=False)
    clock.set(NOON + timedelta(days=4))  # 9 days off: more than RFM_BASE_MAX_DRIFT_DAYS
    assert_answers_equal_the_sales(tenant, stored=False, pages=False)


def test_a_base_of_another_time_zone_is_not_used(tenant, clock, shop):
    services.rfm_base_refresh(tenant=tenant)
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Europe/Moscow")
    assert_answers_equal_the_sales(tenant, stored=False, pages=False)


def test_a_day_whose_rollup_disagreed_with_the_sales_is_never_vouched_for(tenant, clock, shop):
    # The rollup of c3's day 3 days ago says one sale more than there is: the refresh cannot trust
    # it, so that day's customers are recomputed on every answer.
    DailySales.objects.filter(tenant=tenant, date=TODAY - timedelta(days=3)).update(sales_count=99)
    base = services.rfm_base_refresh(tenant=tenant)
    assert RFMBaseDay.objects.get(base=base, date=TODAY - timedelta(days=3)).sales_count is None
    assert RFMBaseDay.objects.get(base=base, date=TODAY - timedelta(days=2)).sales_count == 1
    # A sale of that day that the rollup does not show (written around the services) is still seen.
    sale = Sale.objects.filter(tenant=tenant, customer=shop.customers[3]).order_by("-completed_at").first()
    Sale.objects.filter(pk=sale.pk).update(refunded_amount=sale.total_amount - Decimal("1.00"))
    assert_answers_equal_the_sales(tenant, stored=True, pages=False)


def test_a_base_replaced_while_answering_is_read_again(tenant, clock, shop, monkeypatch):
    services.rfm_base_refresh(tenant=tenant)
    shop.sell([("bread", 2)], at=days_ago(0, 13), customer=shop.customers[9])
    real_read_stored = selectors._StoredRFM._read_stored
    replaced = []

    def refresh_first(live, dirty):
        if not replaced:  # a refresh commits between the dirty customers and the stored rows
            replaced.append(services.rfm_base_refresh(tenant=tenant))
        return real_read_stored(live, dirty)

    monkeypatch.setattr(selectors._StoredRFM, "_read_stored", refresh_first)
    assert_answers_equal_the_sales(tenant, stored=True, pages=False)
    assert replaced


def test_too_many_changes_since_the_refresh_answer_from_the_sales(tenant, clock, monkeypatch):
    shop = build_shop(tenant, clock, rich=False)
    buyers = [make_customer(tenant, first_name=f"Xaridor{index}") for index in range(6)]
    for index, buyer in enumerate(buyers):
        shop.sell([("milk", 1)], at=days_ago(10 + index, 10), customer=buyer)
    services.rfm_base_refresh(tenant=tenant)
    for index, buyer in enumerate(buyers):
        shop.sell([("bread", 1)], at=days_ago(0, 9, index), customer=buyer)
    # 6 dirty customers, 6 with a fresh row: 12 windows of at most 6 + 6 + 3 rows = 180 rows.
    monkeypatch.setattr(constants, "RFM_BASE_WINDOW_ROWS", 179)
    assert_answers_equal_the_sales(tenant, stored=False, pages=False)
    monkeypatch.setattr(constants, "RFM_BASE_WINDOW_ROWS", 180)
    assert_answers_equal_the_sales(tenant, stored=True, pages=False)


def test_new_customers_below_every_stored_one_move_the_cuts_down(tenant, clock):
    """Four newcomers spending less than anyone stored: the monetary cuts fall on stored customers
    at lower positions than the base's own cuts (the window reaches down by the newcomers)."""
    shop = build_shop(tenant, clock, rich=False)
    for index in range(10):
        buyer = make_customer(tenant, first_name=f"Eski{index}")
        shop.sell([("milk", index + 1)], at=days_ago(10 + index, 10), customer=buyer)
    services.rfm_base_refresh(tenant=tenant)
    for index in range(4):
        shop.sell([("bread", 1)], at=days_ago(0, 9, index), customer=make_customer(tenant, first_name=f"Yangi{index}"))
    assert_answers_equal_the_sales(tenant, stored=True)


def test_no_customers_with_a_base(tenant, clock):
    build_shop(tenant, clock, rich=False)
    base = services.rfm_base_refresh(tenant=tenant)
    assert base.customers == 0
    assert_answers_equal_the_sales(tenant)
    assert selectors.rfm_segments(tenant=tenant, period=selectors.last_days(tenant, 365)) == [
        selectors.SegmentSummary(segment) for segment in constants.SEGMENTS
    ]


# --- the cut from the window around it ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    stored=st.lists(st.integers(0, 12), max_size=40),
    removed_flags=st.lists(st.booleans(), max_size=40),
    added=st.lists(st.integers(-1, 13), max_size=12),
    data=st.data(),
)
def test_nth_smallest_of_the_merged_values_from_the_window(stored, removed_flags, added, data):
    rows = sorted((value, index) for index, value in enumerate(stored))  # (value, customer) by position
    values = [value for value, _ in rows]
    removed_ids = {index for index, flag in zip(range(len(stored)), removed_flags, strict=False) if flag}
    merged = sorted([value for value, cid in rows if cid not in removed_ids] + added)
    if not merged:
        return
    c = data.draw(st.integers(1, len(merged)))
    removed = sorted(value for value, cid in rows if cid in removed_ids)
    wider = data.draw(st.integers(0, 3))  # a window wider than needed is as good
    low, high = max(1, c - len(added) - 1 - wider), min(len(rows), c + len(removed) + 1 + wider)
    window = [
        (position, bisect_left(values, value) + 1, value, cid in removed_ids)
        for position, (value, cid) in enumerate(rows, start=1)
        if low <= position <= high
    ]
    assert selectors._nth_smallest(c, window, removed, sorted(added), len(rows)) == merged[c - 1]


def test_cut_positions_are_the_quintile_ranks():
    """Score k+1 or more exactly when (rank - 1) * 5 / n >= k, i.e. rank - 1 >= cut_position(k, n)."""
    for n in range(1, 60):
        for below in range(n):
            score = below * 5 // n + 1
            assert score == 1 + sum(1 for k in (1, 2, 3, 4) if below >= selectors.cut_position(k, n))


# --- anything at all happening around a refresh ----------------------------------------------------

PRODUCTS = ("milk", "bread", "cheese", "juice")
HOUR = st.sampled_from([0, 9, 23])
MINUTE = st.sampled_from([0, 30, 59])


def events(days):
    """Sales (with or without a customer) and refunds (partial or full, some days after the sale),
    on days relative to the refresh's."""
    moment = st.tuples(st.sampled_from(days), HOUR, MINUTE)
    return st.lists(
        st.one_of(
            st.tuples(
                st.just("sell"),
                moment,
                st.sampled_from([None, 0, 1, 2, 3, 4]),
                st.sampled_from(PRODUCTS),
                st.integers(1, 3),
            ),
            st.tuples(st.just("refund"), st.integers(0, 30), st.booleans(), st.sampled_from([0, 0, 1, 2, 30])),
        ),
        max_size=9,
    )


def _moment(day: int, hour: int, minute: int) -> datetime:
    return days_ago(-day, hour, minute)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    refresh=st.tuples(st.sampled_from([-2, 0, 1]), HOUR, MINUTE),
    before=events([-366, -365, -364, -363, -30, -5, -2, -1, -1, 0, 0]),
    after=events([-2, -1, 0, 1, 2]),
    later=st.sampled_from([0, 0, 0, 1, 2, 5]),
)
@example(
    refresh=(0, 0, 30),
    before=[
        ("sell", (-2, 9, 0), 0, "cheese", 2),
        ("sell", (-1, 9, 0), 1, "milk", 2),
        ("sell", (-364, 9, 0), 2, "bread", 1),
    ],
    after=[
        ("sell", (-1, 23, 59), 3, "juice", 2),  # committed after the refresh, on a stored day
        ("refund", 3, True, 0),  # a part of it refunded the day it was sold (a stored day), also late
        ("refund", 1, False, 1),
        ("sell", (0, 9, 0), 1, "bread", 3),
    ],
    later=1,
)
def test_stored_answers_equal_the_sales_whatever_happens(clock, refresh, before, after, later):
    """Sales and refunds, a refresh, more of both after it (some dated before it: committed late),
    answered up to some days later (days are relative to the refresh's)."""
    shop = build_shop(TenantFactory(name="Hypothesis Shop"), clock, rich=False)
    customers = [make_customer(shop.tenant, first_name=f"Mijoz{index}") for index in range(5)]
    sold: list[tuple[Sale, datetime]] = []
    last_moment = _moment(*refresh)
    for step in [*before, ("refresh",), *after]:
        if step[0] == "sell":
            _kind, (day, hour, minute), who, product, quantity = step
            at = _moment(refresh[0] + day, hour, minute)
            customer = None if who is None else customers[who]
            sold.append((shop.sell([(product, quantity)], at=at, customer=customer), at))
        elif step[0] == "refund" and sold:
            _kind, which, partly, days_after = step
            sale, sold_at = sold[which % len(sold)]
            sale.refresh_from_db()
            if sale.status != "completed":
                continue
            at = sold_at + timedelta(days=days_after, minutes=1)
            line = sale.items.get()
            if partly and line.quantity - line.refunded_quantity > 1:
                shop.refund(sale, [(product_key(shop, line.product_id), 1)], at=at)
            else:
                shop.refund(sale, at=at)
        elif step[0] == "refresh":
            at = _moment(*refresh)
            clock.set(at)
            services.rfm_base_refresh(tenant=shop.tenant)
            clock.set(NOON)
        else:
            continue
        last_moment = max(last_moment, at)
    clock.set(last_moment + timedelta(days=later))
    stored = assert_answers_equal_the_sales(shop.tenant, pages=len(before) + len(after) < 10)
    event("answered from the stored base" if stored else "answered from the sales")


def product_key(shop, product_id: int) -> str:
    return next(key for key, product in shop.products.items() if product.pk == product_id)


@pytest.mark.parametrize("later", [0, 2])
def test_refresh_job_then_answers(tenant, clock, shop, later):
    from savdo.analytics import jobs

    run = jobs.refresh_rfm(tenants=[tenant])
    assert run.failed == []
    assert RFMBase.objects.filter(tenant=tenant).count() == 1
    clock.set(NOON + timedelta(days=later))
    assert_answers_equal_the_sales(tenant, stored=True, pages=False)
