"""Daily rollups: what checkout and refund add, on which local day, and rebuild == incremental."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from savdo.core.money import money
from savdo.sales import services
from savdo.sales.models import DailyCustomer, DailyProductSales, DailySales, Sale
from savdo.sales.rollups import rollup_rows, rollups_rebuild
from savdo.sales.services import PaymentInput, RefundLine
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.factories import MembershipFactory, TenantFactory
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, ring_up, sell

D = Decimal


def at(moment: datetime):
    """Freeze "now" for the services (checkout, refund) at `moment`."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_checkout_and_refund_land_on_the_tenants_local_day(cashier, manager):
    tenant = cashier.tenant  # Asia/Tashkent, UTC+5
    milk = ProductFactory(tenant=tenant, sale_price=D("12000"), cost_price=D("9000"), tax_rate=D("12"))
    bread = ProductFactory(tenant=tenant, sale_price=D("9000"), cost_price=D("5000"), tax_rate=D("0"))
    receive(milk, 10)
    receive(bread, 10)
    open_shift(cashier.membership)
    customer = make_customer(tenant, discount_percent=D("10"))
    sale = ring_up(cashier.membership, [(milk, 2), (bread, 1)], customer=customer)  # 33000 - 10 % = 29700
    with at(datetime(2026, 3, 1, 20, 30, tzinfo=UTC)):  # 01:30 on March 2nd in Tashkent
        done = services.sale_checkout(
            actor=cashier.membership,
            sale=sale,
            payments=[PaymentInput("cash", D("20000"), received_amount=D("20000")), PaymentInput("card", D("9700"))],
        )
    day = DailySales.objects.get(tenant=tenant)
    assert day.date == date(2026, 3, 2)
    assert (day.sales_count, day.sales_amount, day.discount_amount) == (1, D("29700.00"), D("3300.00"))
    assert (day.tax_amount, day.cost_amount, day.items_sold, day.unique_customers) == (
        done.tax_amount,
        D("23000.00"),
        D("3.000"),
        1,
    )
    assert (day.cash_amount, day.card_amount, day.mobile_amount) == (D("20000.00"), D("9700.00"), D("0.00"))
    milk_day = DailyProductSales.objects.get(tenant=tenant, product=milk)
    assert (milk_day.quantity, milk_day.revenue, milk_day.cost, milk_day.profit, milk_day.sales_count) == (
        D("2.000"),
        D("21600.00"),
        D("18000.00"),
        D("3600.00"),
        1,
    )

    line = done.items.get(product=milk)
    with at(datetime(2026, 3, 3, 10, 0, tzinfo=UTC)):
        services.sale_refund(actor=manager.membership, sale=done, lines=[RefundLine(line.pk, D("1"))])
    refund_day = DailySales.objects.get(tenant=tenant, date=date(2026, 3, 3))
    assert (refund_day.sales_count, refund_day.refunds_count, refund_day.refunds_amount) == (0, 1, D("10800.00"))
    assert (refund_day.cash_refunded, refund_day.refunded_items, refund_day.refunded_cost) == (
        D("10800.00"),
        D("1.000"),
        D("9000.00"),
    )
    milk_refund = DailyProductSales.objects.get(tenant=tenant, product=milk, date=date(2026, 3, 3))
    assert (milk_refund.refunded_quantity, milk_refund.refunded_revenue, milk_refund.profit) == (
        D("1.000"),
        D("10800.00"),
        D("-1800.00"),
    )


def test_a_customer_counts_once_a_day(cashier):
    tenant = cashier.tenant
    product = ProductFactory(tenant=tenant)
    receive(product, 10)
    open_shift(cashier.membership)
    customer = make_customer(tenant)
    sell(cashier.membership, [(product, 1)], customer=customer)
    sell(cashier.membership, [(product, 1)], customer=customer)
    sell(cashier.membership, [(product, 1)], customer=make_customer(tenant))
    sell(cashier.membership, [(product, 1)])
    day = DailySales.objects.get(tenant=tenant)
    assert (day.sales_count, day.unique_customers) == (4, 2)
    assert DailyCustomer.objects.filter(tenant=tenant).count() == 2


def test_rebuild_command_rebuilds_from_the_sales(cashier):
    tenant = cashier.tenant
    product = ProductFactory(tenant=tenant)
    receive(product, 10)
    open_shift(cashier.membership)
    sell(cashier.membership, [(product, 3)])
    before = rollup_rows(tenant=tenant)
    DailySales.objects.all().update(sales_amount=D("1"), sales_count=99)
    DailyProductSales.objects.all().delete()
    today = Sale.objects.get().completed_at.astimezone().date()
    out = io.StringIO()
    call_command(
        "rebuild-rollups",
        "--tenant",
        tenant.key,
        "--from",
        (today - timedelta(days=1)).isoformat(),
        "--to",
        (today + timedelta(days=1)).isoformat(),
        stdout=out,
    )
    assert "1 days with sales" in out.getvalue()
    assert rollup_rows(tenant=tenant) == before


# --- rebuild == incremental, for any mix of sales, refunds and cancellations ------------------------

PAYMENT_MIXES = [("cash",), ("card",), ("cash", "card"), ("mobile", "transfer")]

line_strategy = st.tuples(st.integers(0, 2), st.integers(1, 4))
operation = st.one_of(
    st.tuples(
        st.just("sell"),
        st.lists(line_strategy, min_size=1, max_size=3),
        st.sampled_from([None, 0, 1]),
        st.integers(0, len(PAYMENT_MIXES) - 1),
    ),
    st.tuples(st.just("cancel"), st.lists(line_strategy, min_size=1, max_size=2)),
    st.tuples(st.just("refund_all"), st.integers(0, 50)),
    st.tuples(st.just("refund_part"), st.integers(0, 50), st.integers(0, 5), st.integers(1, 3)),
)
step = st.sampled_from([0, 1, 5, 19, 23])  # hours between operations: crosses local midnights


def _payments(total: Decimal, mix: tuple[str, ...]) -> list[PaymentInput]:
    if len(mix) == 1 or total < D("1.00"):
        return [PaymentInput(mix[0], total, received_amount=total + 500 if mix[0] == "cash" else None)]
    first = money(total / 3)
    return [PaymentInput(mix[0], first), PaymentInput(mix[1], total - first)]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(st.tuples(step, operation), min_size=1, max_size=10))
@example(
    operations=[
        (0, ("sell", [(0, 3), (1, 2)], 0, 2)),
        (5, ("sell", [(2, 4), (0, 1)], 1, 3)),
        (19, ("refund_part", 0, 0, 1)),
        (1, ("cancel", [(1, 1)])),
        (23, ("refund_part", 0, 0, 3)),
        (0, ("refund_all", 1)),
        (1, ("sell", [(0, 2)], 0, 0)),
        (5, ("refund_all", 0)),
    ]
)
def test_rebuild_equals_incremental(operations):
    tenant = TenantFactory(loyalty_percent=D("1.5"))
    actor = MembershipFactory(tenant=tenant, role=Role.MANAGER)
    products = [
        ProductFactory(tenant=tenant, sale_price=D("12000"), cost_price=D("9000"), tax_rate=D("12")),
        ProductFactory(tenant=tenant, sale_price=D("3333.33"), cost_price=D("1000"), tax_rate=D("15")),
        ProductFactory(tenant=tenant, sale_price=D("999.99"), cost_price=D("10"), tax_rate=D("0"), unit="kg"),
    ]
    receive(products[0], 500, batch_number="A", expiry_date=date(2030, 1, 1), cost_price="8000")
    receive(products[0], 500)
    for product in products[1:]:
        receive(product, 1000)
    customers = [make_customer(tenant, discount_percent=D("7")), make_customer(tenant)]
    open_shift(actor)
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    completed: list[Sale] = []
    for hours, op in operations:
        moment += timedelta(hours=hours)
        with at(moment):
            kind = op[0]
            if kind == "sell":
                _kind, lines, customer_index, mix = op
                customer = None if customer_index is None else customers[customer_index]
                sale = ring_up(actor, [(products[p], q) for p, q in lines], customer=customer)
                done = services.sale_checkout(
                    actor=actor, sale=sale, payments=_payments(sale.total_amount, PAYMENT_MIXES[mix])
                )
                completed.append(done)
            elif kind == "cancel":
                sale = ring_up(actor, [(products[p], q) for p, q in op[1]])
                services.sale_cancel(actor=actor, sale=sale)
            elif completed:
                sale = Sale.objects.get(pk=completed[op[1] % len(completed)].pk)
                if sale.status != "completed":
                    continue
                if kind == "refund_all":
                    services.sale_refund(actor=actor, sale=sale)
                else:
                    items = list(sale.items.order_by("id"))
                    item = items[op[2] % len(items)]
                    qty = min(D(op[3]), item.quantity - item.refunded_quantity)
                    if qty > 0:
                        services.sale_refund(actor=actor, sale=sale, lines=[RefundLine(item.pk, qty)])

    incremental = rollup_rows(tenant=tenant)
    assert sum(day["sales_count"] for day in incremental["days"].values()) == len(completed)
    rollups_rebuild(tenant=tenant, date_from=date(2026, 4, 30), date_to=date(2026, 6, 1))
    rebuilt = rollup_rows(tenant=tenant)
    assert rebuilt == incremental


def test_a_checkouts_rollups_are_one_statement_on_postgresql(cashier):
    tenant = cashier.tenant
    tea = ProductFactory(tenant=tenant, sale_price=D("5000"), cost_price=D("3000"), tax_rate=D("0"))
    receive(tea, 10)
    open_shift(cashier.membership)
    sell(cashier.membership, [(tea, 1)])
    sale = ring_up(cashier.membership, [(tea, 2)])
    with CaptureQueriesContext(connection) as queries:
        services.sale_checkout(actor=cashier.membership, sale=sale, payments=[PaymentInput("cash", D("10000"))])
    rollup_statements = [q["sql"] for q in queries if "sales_daily" in q["sql"]]
    assert len(rollup_statements) == (1 if connection.vendor == "postgresql" else 2)
    day = DailySales.objects.get(tenant=tenant)
    assert (day.sales_count, day.sales_amount, day.cash_amount) == (2, D("15000.00"), D("15000.00"))
    tea_day = DailyProductSales.objects.get(tenant=tenant, product=tea)
    assert (tea_day.quantity, tea_day.revenue, tea_day.sales_count) == (D("3.000"), D("15000.00"), 2)
