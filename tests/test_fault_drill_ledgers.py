"""The fault drill's ledger rules (tools/fault_drill.py, `check_ledgers`): every rule holds on what the
services write, and each rule catches the break it is about (rows changed behind the services' back)."""

import importlib.util
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from savdo.customers.models import Customer
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.sales import services
from savdo.sales.models import CashSession, DailySales, Payment, ReceiptCounter, Sale, SaleItem
from savdo.sales.services import PaymentInput, RefundLine
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory, CustomerGroupFactory
from tests.inventory.factories import receive
from tests.sales.factories import open_shift, ring_up, sell

D = Decimal


def _load_drill():
    path = Path(__file__).resolve().parents[1] / "tools" / "fault_drill.py"
    spec = importlib.util.spec_from_file_location("fault_drill", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fault_drill", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


drill = _load_drill()
RULES = [
    "stock_products",
    "stock_running",
    "stock_batches",
    "stock_not_negative",
    "movements_match_sales",
    "sale_lines_priced",
    "sale_totals",
    "sale_costs",
    "payments_cover_sales",
    "refunds_add_up",
    "no_half_written_sales",
    "receipt_counters",
    "shift_cash",
    "loyalty",
    "customer_purchases",
    "acknowledged",
    "rollups",
]


def broken(acknowledged=None) -> dict[str, list[str]]:
    """The rules that do not hold, with their violations."""
    return {rule.key: rule.violations for rule in drill.check_ledgers(acknowledged) if not rule.ok}


@pytest.fixture
def shop(tenant, owner, cashier):
    """A day at one till, all through the services: batches and weighed goods, a group and a personal
    discount, cash with change, card, a partial and a full refund, a cancelled sale, the shift closed."""
    today = timezone.localdate()
    boxed = ProductFactory(tenant=tenant, sale_price=D("12999.99"), tax_rate=D("12"))
    weighed = ProductFactory(tenant=tenant, unit="kg", sale_price=D("27350.50"), tax_rate=D("15"))
    receive(boxed, 5, batch_number="A", expiry_date=today + timedelta(days=10), cost_price="7000")
    receive(boxed, 5, batch_number="B", expiry_date=today + timedelta(days=40), cost_price="7500.50")
    receive(boxed, 3)
    receive(weighed, "10.5")
    vip = CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant, discount_percent=D("10")))
    regular = CustomerFactory(tenant=tenant, discount_percent=D("2.5"))
    CustomerFactory(tenant=tenant)  # buys nothing

    shift = open_shift(cashier.membership, opening_balance="100000")
    first = sell(cashier.membership, [(boxed, 7), (weighed, "1.5")], session=shift, customer=vip)
    second = ring_up(cashier.membership, [(boxed, 2), (weighed, "0.75")], session=shift, customer=regular)
    cash = D("20000.00")
    second = services.sale_checkout(
        actor=cashier.membership,
        sale=second,
        payments=[
            PaymentInput("cash", cash, received_amount=D("25000")),
            PaymentInput("card", second.total_amount - cash, card_last4="4242"),
        ],
    )
    services.sale_refund(actor=owner.membership, sale=second, lines=[RefundLine(second.items.first().pk, D("1"))])
    services.sale_refund(actor=owner.membership, sale=first)
    cancelled = ring_up(cashier.membership, [(boxed, 1)], session=shift)
    services.sale_cancel(actor=cashier.membership, sale=cancelled)
    ring_up(cashier.membership, [(weighed, "2")], session=shift)  # still pending when the shift closes
    services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("150000"), cancel_pending=True)
    open_shift(cashier.membership, opening_balance="5000")  # open: nothing recorded to compare yet
    return {"boxed": boxed, "weighed": weighed, "vip": vip, "first": first, "second": second, "shift": shift}


def test_every_rule_holds_on_what_the_services_write(shop):
    rules = drill.check_ledgers(drill.Acknowledged(sale_ids={shop["first"].pk, shop["second"].pk}))
    assert [rule.key for rule in rules] == RULES
    assert {rule.key: rule.violations for rule in rules if not rule.ok} == {}
    checked = {rule.key: rule.checked for rule in rules}
    assert checked["stock_products"] == 2
    assert checked["stock_batches"] == 2
    assert checked["sale_totals"] == 4  # two sold, one cancelled, one cancelled by the close
    assert checked["payments_cover_sales"] == 2
    assert checked["refunds_add_up"] == 2
    assert checked["shift_cash"] == 1
    assert checked["loyalty"] == 3
    assert checked["acknowledged"] == 2
    assert checked["rollups"] > 0
    assert rules[RULES.index("shift_cash")].note == "1 shifts still open (nothing recorded to compare)"


def test_a_balance_that_is_not_its_movements(shop):
    boxed = shop["boxed"]
    assert StockBalance.objects.get(product=boxed).quantity == D("12")  # 13 in, 9 sold, 8 back
    StockBalance.objects.filter(product=boxed).update(quantity=F("quantity") + 1)
    assert broken() == {"stock_products": [f"product {boxed.pk}: on hand 13.000, movements 12.000"]}


def test_a_batch_that_is_not_its_movements(shop):
    batch = Batch.objects.get(product=shop["boxed"], batch_number="B")
    assert batch.quantity == D("4")  # 5 in, 4 sold after batch A's 5, all 4 back
    Batch.objects.filter(pk=batch.pk).update(quantity=F("quantity") - 1)
    assert broken() == {"stock_batches": [f"batch {batch.pk}: on hand 3.000, movements 4.000"]}


def test_a_lost_sale_movement(shop):
    movement = StockMovement.objects.filter(kind="sale", product=shop["weighed"]).order_by("id").last()
    movement.delete()
    found = broken()
    assert set(found) == {"stock_products", "stock_running", "movements_match_sales"}
    receipt = shop["second"].receipt_number
    assert found["movements_match_sales"] == [
        f"{receipt} sale of product {shop['weighed'].pk} batch None: lines -0.750, movements 0"
    ]


def test_a_sale_total_that_is_not_its_lines(shop):
    sale = shop["second"]
    Sale.objects.filter(pk=sale.pk).update(total_amount=F("total_amount") + D("100.00"))
    found = broken()
    assert set(found) == {"sale_totals", "payments_cover_sales", "loyalty", "customer_purchases", "rollups"}
    assert found["sale_totals"][0].startswith(f"sale {sale.pk} (completed): ")


def test_a_line_priced_otherwise(shop):
    line = SaleItem.objects.filter(sale=shop["first"]).order_by("id").first()
    SaleItem.objects.filter(pk=line.pk).update(unit_price=F("unit_price") + 1)
    assert list(broken()) == ["sale_lines_priced"]


def test_a_lost_payment_half_writes_the_sale(shop, cashier):
    sale = sell(cashier.membership, [(shop["boxed"], 1)])  # in the shift opened after the closed one
    Payment.objects.filter(sale=sale).delete()
    found = broken()
    assert found["no_half_written_sales"] == [f"sale {sale.pk}: completed without payments"]
    assert found["payments_cover_sales"] == [f"sale {sale.pk}: total 12999.99, paid 12999.99, payments 0.00"]


def test_a_shift_whose_expected_cash_is_not_its_cash(shop):
    CashSession.objects.filter(pk=shop["shift"].pk).update(expected_cash=F("expected_cash") + 1)
    found = broken()
    assert list(found) == ["shift_cash"]
    assert found["shift_cash"][0].startswith(f"shift {shop['shift'].pk}: expected cash ")


def test_loyalty_points_from_nowhere(shop):
    vip = shop["vip"]
    Customer.objects.filter(pk=vip.pk).update(loyalty_points=F("loyalty_points") + 5)
    assert broken() == {"loyalty": [f"customer {vip.pk}: points 5.00, entries 0.00"]}


def test_a_purchase_count_that_is_not_the_sales(shop):
    vip = shop["vip"]
    Customer.objects.filter(pk=vip.pk).update(total_purchases_count=1)
    found = broken()
    assert list(found) == ["customer_purchases"]
    assert found["customer_purchases"][0].startswith(f"customer {vip.pk}: total/count/last 0.00/1/")


def test_a_receipt_number_taken_without_a_sale(shop, tenant):
    ReceiptCounter.objects.filter(tenant=tenant).update(last_number=F("last_number") + 1)
    assert broken() == {"receipt_counters": [f"store {tenant.pk}: counter 5, sales 4"]}


def test_rollups_that_are_not_the_sales_and_the_rebuild_changes_nothing(shop, tenant):
    DailySales.objects.filter(tenant=tenant).update(sales_amount=F("sales_amount") + 1)
    found = broken()
    assert list(found) == ["rollups"]
    assert "sales_amount" in found["rollups"][0]
    assert list(broken()) == ["rollups"]  # the rebuild it compared with was rolled back


def test_a_checkout_answered_but_not_in_the_database(shop):
    cancelled = Sale.objects.get(status="cancelled", completed_at__isnull=True, items__quantity=1)
    found = broken(drill.Acknowledged(sale_ids={cancelled.pk}, refund_ids={999999}))
    assert found == {
        "acknowledged": [f"sale {cancelled.pk}: checked out, now cancelled", "refund 999999: answered, missing"]
    }
