"""Shift and sale rules, through the services: exact amounts, and refusals that change nothing."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.exceptions import PermissionDenied

from savdo.catalog.exceptions import RuleViolation
from savdo.customers.models import CustomerGroup
from savdo.inventory.exceptions import InsufficientStock
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.inventory.services import stock_adjust
from savdo.sales import services
from savdo.sales.models import CashSession, Payment, Refund, RefundPayment, Sale, SaleItem
from savdo.sales.selectors import reserved_quantities, shift_cash_summary
from savdo.sales.services import PaymentInput, RefundLine
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, pay_cash, ring_up, sell

D = Decimal


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English here (the API tests check the Russian default)."""
    with translation.override("en"):
        yield


def stock(product) -> Decimal:
    return StockBalance.objects.get(product=product).quantity


@pytest.fixture
def till(cashier):
    """A cashier with an open shift and two stocked products (milk 12000, bread 9000, 12 % tax)."""
    milk = ProductFactory(tenant=cashier.tenant, name="Milk", sale_price=D("12000"), cost_price=D("9000"))
    bread = ProductFactory(tenant=cashier.tenant, name="Bread", sale_price=D("9000"), cost_price=D("5000"))
    receive(milk, 50)
    receive(bread, 50)
    shift = open_shift(cashier.membership, "100000")
    return cashier, shift, milk, bread


# --- shifts ---------------------------------------------------------------------------------------


def test_one_open_shift_per_cashier(cashier):
    first = open_shift(cashier.membership, "1000")
    with pytest.raises(RuleViolation) as error:
        open_shift(cashier.membership)
    assert f"#{first.pk}" in str(error.value.detail)
    assert CashSession.objects.filter(cashier=cashier.user).count() == 1
    services.shift_close(actor=cashier.membership, session=first, actual_cash=D("1000"))
    assert open_shift(cashier.membership).status == "open"


def test_close_records_expected_cash_and_difference(till):
    cashier, shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 2)])  # 24000
    services.sale_checkout(
        actor=cashier.membership,
        sale=sale,
        payments=[PaymentInput("cash", D("24000"), received_amount=D("30000"))],
    )
    closed = services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("123500"), note="short")
    assert closed.status == "closed"
    assert closed.expected_cash == D("124000.00")  # 100000 + 30000 - 6000
    assert closed.cash_difference == D("-500.00")
    assert closed.closed_by == cashier.user
    with pytest.raises(RuleViolation):
        services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("0"))


def test_a_cashier_cannot_close_another_cashiers_shift_but_a_manager_can(cashier, manager):
    shift = open_shift(cashier.membership)
    other = Member(cashier.tenant, Role.CASHIER)
    with pytest.raises(PermissionDenied):
        services.shift_close(actor=other.membership, session=shift, actual_cash=D("0"))
    assert CashSession.objects.get(pk=shift.pk).status == "open"
    assert services.shift_close(actor=manager.membership, session=shift, actual_cash=D("0")).status == "closed"


def test_closing_with_a_pending_sale_is_refused_unless_asked_to_cancel_it(till):
    cashier, shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 1)])
    with pytest.raises(RuleViolation) as error:
        services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("100000"))
    assert sale.receipt_number in str(error.value.detail)
    assert CashSession.objects.get(pk=shift.pk).status == "open"
    services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("100000"), cancel_pending=True)
    sale.refresh_from_db()
    assert sale.status == "cancelled"
    assert sale.items.count() == 1  # kept, with its lines
    assert stock(milk) == D("50")


def test_an_empty_pending_sale_is_cancelled_on_close(till):
    cashier, shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 1)])
    services.sale_remove_item(actor=cashier.membership, sale=sale, item_id=sale.items.get().pk)
    services.shift_close(actor=cashier.membership, session=shift, actual_cash=D("100000"))
    assert Sale.objects.get(pk=sale.pk).status == "cancelled"


# --- ringing up ----------------------------------------------------------------------------------


def test_scan_creates_the_pending_sale_and_merges_the_same_product(till):
    cashier, shift, milk, bread = till
    sale = ring_up(cashier.membership, [(milk, 2), (bread, 1), (milk, 3)])
    assert sale.session == shift
    assert sale.status == "pending"
    assert re.fullmatch(r"CHECK-\d{8}-\d{6}", sale.receipt_number)
    lines = {i.product_id: i for i in sale.items.all()}
    assert lines[milk.pk].quantity == D("5")
    assert sale.total_amount == D("69000.00")  # 5 x 12000 + 9000
    assert Sale.objects.filter(session=shift).count() == 1


def test_the_same_product_from_another_batch_is_another_line(till):
    cashier, _shift, milk, _bread = till
    batch = receive(milk, 5, batch_number="B-7", cost_price="8500").batch
    sale = ring_up(cashier.membership, [(milk, 1), (milk, 1, batch), (milk, 1, batch)])
    assert {(i.batch_id, i.quantity) for i in sale.items.all()} == {(None, D("1.000")), (batch.pk, D("2.000"))}


def test_lines_keep_price_tax_and_name_of_the_moment_of_sale(till):
    cashier, _shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 3)])
    milk.sale_price = D("99999")
    milk.name = "Renamed"
    milk.tax_rate = D("0")
    milk.save()
    sale = ring_up(cashier.membership, [(milk, 1)])  # merges into the line: its price stays
    line = sale.items.get()
    assert (line.product_name, line.unit_price, line.tax_rate, line.quantity) == ("Milk", D("12000"), D("12"), D("4"))
    done = services.sale_checkout(actor=cashier.membership, sale=sale, payments=pay_cash(sale))
    assert done.total_amount == D("48000.00")


def test_tax_is_included_in_the_price(till):
    cashier, _shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 1)])
    line = sale.items.get()
    # 12000 includes 12 %: 12000 x 12 / 112 = 1285.714... -> 1285.71
    assert line.tax_amount == D("1285.71")
    assert sale.tax_amount == D("1285.71")


def test_whole_units_for_pieces_fractions_for_weight(till):
    cashier, _shift, milk, _bread = till
    with pytest.raises(ValidationError) as error:
        ring_up(cashier.membership, [(milk, "1.5")])
    assert "quantity" in error.value.message_dict
    cheese = ProductFactory(tenant=cashier.tenant, unit="kg", sale_price=D("80000"))
    receive(cheese, "3.2")
    sale = ring_up(cashier.membership, [(cheese, "0.275")])
    assert sale.total_amount == D("22000.00")


def test_inactive_products_and_missing_stock_are_refused_at_the_till(till):
    cashier, _shift, _milk, _bread = till
    retired = ProductFactory(tenant=cashier.tenant, is_active=False)
    receive(retired, 5)
    with pytest.raises(ValidationError):
        ring_up(cashier.membership, [(retired, 1)])
    empty = ProductFactory(tenant=cashier.tenant, name="Ghost")
    with pytest.raises(InsufficientStock) as error:
        ring_up(cashier.membership, [(empty, 1)])
    assert "Ghost" in str(error.value.detail)
    assert not SaleItem.objects.exists()


def test_scanning_needs_an_open_shift_of_ones_own(cashier, tenant):
    product = ProductFactory(tenant=tenant)
    receive(product, 5)
    with pytest.raises(RuleViolation):
        ring_up(cashier.membership, [(product, 1)])
    other = Member(tenant, Role.CASHIER)
    their_shift = open_shift(other.membership)
    with pytest.raises(PermissionDenied):
        ring_up(cashier.membership, [(product, 1)], session=their_shift)
    assert not Sale.objects.exists()


def test_remove_item_whole_line_or_part(till):
    cashier, _shift, milk, bread = till
    sale = ring_up(cashier.membership, [(milk, 3), (bread, 1)])
    milk_line = sale.items.get(product=milk)
    sale = services.sale_remove_item(actor=cashier.membership, sale=sale, item_id=milk_line.pk, quantity=D("1"))
    assert sale.items.get(product=milk).quantity == D("2")
    assert sale.total_amount == D("33000.00")
    sale = services.sale_remove_item(actor=cashier.membership, sale=sale, item_id=milk_line.pk)
    assert list(sale.items.values_list("product_id", flat=True)) == [bread.pk]
    assert sale.total_amount == D("9000.00")
    with pytest.raises(ValidationError):
        services.sale_remove_item(actor=cashier.membership, sale=sale, item_id=milk_line.pk)


# --- customers and discounts -------------------------------------------------------------------


def test_the_customers_larger_discount_applies_to_every_line(till):
    cashier, _shift, milk, bread = till
    group = CustomerGroup.objects.create(tenant=cashier.tenant, name="VIP", discount_percent=D("10"))
    customer = make_customer(cashier.tenant, group=group, discount_percent=D("5"))
    sale = ring_up(cashier.membership, [(milk, 1)], customer=customer)
    sale = ring_up(cashier.membership, [(bread, 1)])
    assert sale.discount_percent == D("10.00")
    assert sale.subtotal == D("21000.00")
    assert sale.discount_amount == D("2100.00")
    assert sale.total_amount == D("18900.00")
    milk_line = sale.items.get(product=milk)
    assert milk_line.total_amount == D("10800.00")
    assert milk_line.tax_amount == D("1157.14")  # 10800 x 12 / 112
    # detaching the customer removes the discount
    sale = services.sale_set_customer(actor=cashier.membership, sale=sale, customer=None)
    assert (sale.customer_id, sale.total_amount, sale.discount_amount) == (None, D("21000.00"), D("0.00"))


def test_an_inactive_groups_discount_does_not_apply_and_blocked_customers_are_refused(till):
    cashier, _shift, milk, _bread = till
    group = CustomerGroup.objects.create(tenant=cashier.tenant, name="Old", discount_percent=D("30"), is_active=False)
    customer = make_customer(cashier.tenant, group=group, discount_percent=D("2"))
    sale = ring_up(cashier.membership, [(milk, 1)], customer=customer)
    assert sale.discount_percent == D("2.00")
    blocked = make_customer(cashier.tenant, status="blocked")
    with pytest.raises(ValidationError):
        services.sale_set_customer(actor=cashier.membership, sale=sale, customer=blocked)
    assert Sale.objects.get(pk=sale.pk).customer == customer


# --- checkout ------------------------------------------------------------------------------------


def test_checkout_cash_and_card(till):
    cashier, _shift, milk, bread = till
    customer = make_customer(cashier.tenant)
    sale = ring_up(cashier.membership, [(milk, 5), (bread, 10)], customer=customer)  # 150000
    done = services.sale_checkout(
        actor=cashier.membership,
        sale=sale,
        payments=[
            PaymentInput("cash", D("100000"), received_amount=D("100000")),
            PaymentInput("card", D("50000"), card_last4="4242", transaction_id="TXN123456"),
        ],
    )
    assert done.status == "completed"
    assert done.completed_at is not None
    assert (done.paid_amount, done.change_amount) == (D("150000"), D("0"))
    assert done.cost_amount == D("95000.00")  # 5 x 9000 + 10 x 5000
    assert done.loyalty_points == D("1500.00")
    card = Payment.objects.get(sale=done, payment_method="card")
    assert (card.card_last4, card.transaction_id, card.received_amount) == ("4242", "TXN123456", D("50000"))
    assert (stock(milk), stock(bread)) == (D("45"), D("40"))
    assert StockMovement.objects.filter(reference=done.receipt_number, kind="sale").count() == 2
    customer.refresh_from_db()
    assert customer.total_purchases == D("150000.00")
    assert customer.total_purchases_count == 1
    assert customer.loyalty_points == D("1500.00")
    assert customer.last_purchase_at == done.completed_at


def test_loyalty_rate_is_a_tenant_setting(till):
    cashier, _shift, milk, _bread = till
    cashier.tenant.loyalty_percent = D("2.5")
    cashier.tenant.save()
    cashier.membership.tenant.refresh_from_db()
    customer = make_customer(cashier.tenant)
    done = sell(cashier.membership, [(milk, 1)], customer=customer)
    assert done.loyalty_points == D("300.00")


@pytest.mark.parametrize(
    ("payments", "message"),
    [
        ([PaymentInput("cash", D("20000"))], "must match"),
        ([PaymentInput("card", D("12000")), PaymentInput("cash", D("1000"))], "must match"),
        ([PaymentInput("cash", D("12000"), received_amount=D("10000"))], "less than"),
        ([PaymentInput("card", D("12000"), received_amount=D("15000"))], "only for cash"),
        ([], "At least one payment"),
    ],
)
def test_payments_must_cover_the_total_exactly(till, payments, message):
    cashier, _shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 1)])
    with pytest.raises(ValidationError) as error:
        services.sale_checkout(actor=cashier.membership, sale=sale, payments=payments)
    assert message in str(error.value.message_dict["payments"])
    assert Sale.objects.get(pk=sale.pk).status == "pending"
    assert not Payment.objects.exists()
    assert stock(milk) == D("50")


def test_checkout_only_once_and_not_after_cancel(till):
    cashier, _shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 1)])
    done = services.sale_checkout(actor=cashier.membership, sale=sale, payments=pay_cash(sale))
    with pytest.raises(RuleViolation) as error:
        services.sale_checkout(actor=cashier.membership, sale=done, payments=pay_cash(done))
    assert "completed" in str(error.value.detail)
    assert stock(milk) == D("49")
    with pytest.raises(RuleViolation):
        services.sale_cancel(actor=cashier.membership, sale=done)
    other = ring_up(cashier.membership, [(milk, 1)])
    services.sale_cancel(actor=cashier.membership, sale=other)
    with pytest.raises(RuleViolation) as error:
        services.sale_checkout(actor=cashier.membership, sale=other, payments=pay_cash(other))
    assert "cancelled" in str(error.value.detail)
    with pytest.raises(RuleViolation) as error:
        services.sale_add_item(actor=cashier.membership, sale=other, product=milk, quantity=D("1"))
    assert "only a pending sale can be changed" in str(error.value.detail)


def test_checkout_takes_stock_short_at_checkout_time(till, manager):
    cashier, _shift, milk, _bread = till
    sale = ring_up(cashier.membership, [(milk, 10)])
    stock_adjust(tenant=milk.tenant, user=manager.user, product=milk, counted_quantity=D("3"), reason="theft")
    with pytest.raises(InsufficientStock) as error:
        services.sale_checkout(actor=cashier.membership, sale=sale, payments=pay_cash(sale))
    assert "Milk" in str(error.value.detail)
    assert Sale.objects.get(pk=sale.pk).status == "pending"
    assert stock(milk) == D("3")


def test_checkout_costs_lines_from_the_batches_taken(till):
    cashier, _shift, _milk, _bread = till
    juice = ProductFactory(tenant=cashier.tenant, cost_price=D("1000"), sale_price=D("3000"))
    receive(juice, 2, batch_number="J-OLD", expiry_date=date(2030, 1, 1), cost_price="1500")
    receive(juice, 5, batch_number="J-NEW", expiry_date=date(2031, 1, 1), cost_price="1800")
    done = sell(cashier.membership, [(juice, 3)])
    line = done.items.get()
    assert line.cost_amount == D("4800.00")  # 2 x 1500 + 1 x 1800
    assert line.unit_cost == D("1600.00")
    assert list(line.allocations.order_by("id").values_list("batch__batch_number", "quantity")) == [
        ("J-OLD", D("2.000")),
        ("J-NEW", D("1.000")),
    ]


def test_receipt_numbers_are_unique_and_increasing(till):
    cashier, _shift, milk, _bread = till
    numbers = [sell(cashier.membership, [(milk, 1)]).receipt_number for _ in range(3)]
    sequence = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert sequence == sorted(sequence) and len(set(numbers)) == 3


# --- refunds -------------------------------------------------------------------------------------


def test_full_refund_reverses_everything(till, manager):
    cashier, _shift, milk, bread = till
    customer = make_customer(cashier.tenant)
    done = sell(cashier.membership, [(milk, 2), (bread, 1)], customer=customer)
    refund = services.sale_refund(actor=manager.membership, sale=done, reason="changed mind")
    assert refund.is_full
    assert refund.amount == D("33000.00")
    assert refund.loyalty_points == D("330.00")
    sale = Sale.objects.get(pk=done.pk)
    assert (sale.status, sale.refunded_amount) == ("refunded", D("33000.00"))
    assert (stock(milk), stock(bread)) == (D("50"), D("50"))
    customer.refresh_from_db()
    assert (customer.total_purchases, customer.total_purchases_count, customer.loyalty_points) == (D("0"), 0, D("0"))
    with pytest.raises(RuleViolation) as error:
        services.sale_refund(actor=manager.membership, sale=sale)
    assert "refunded" in str(error.value.detail)


def test_partial_refunds_add_up_to_the_sale_exactly(till, manager):
    cashier, _shift, milk, _bread = till
    group = CustomerGroup.objects.create(tenant=cashier.tenant, name="Seven", discount_percent=D("7"))
    customer = make_customer(cashier.tenant, group=group)
    done = sell(cashier.membership, [(milk, 3)], customer=customer)  # 36000 - 7 % = 33480
    line = done.items.get()
    first = services.sale_refund(actor=manager.membership, sale=done, lines=[RefundLine(line.pk, D("1"))])
    assert first.amount == D("11160.00")
    assert not first.is_full
    assert Sale.objects.get(pk=done.pk).status == "completed"
    second = services.sale_refund(actor=manager.membership, sale=done, lines=[RefundLine(line.pk, D("1"))])
    last = services.sale_refund(actor=manager.membership, sale=done)
    refunds = [first, second, last]
    assert sum(r.amount for r in refunds) == done.total_amount
    assert sum(r.tax_amount for r in refunds) == done.tax_amount
    assert sum(r.discount_amount for r in refunds) == done.discount_amount
    assert sum(r.cost_amount for r in refunds) == done.cost_amount
    assert sum(r.loyalty_points for r in refunds) == done.loyalty_points
    assert last.is_full
    customer.refresh_from_db()
    assert (customer.total_purchases, customer.total_purchases_count, customer.loyalty_points) == (D("0"), 0, D("0"))


def test_refund_quantities_are_checked_and_nothing_changes_on_refusal(till, manager):
    cashier, _shift, milk, bread = till
    done = sell(cashier.membership, [(milk, 2), (bread, 1)])
    milk_line = done.items.get(product=milk)
    for lines in (
        [RefundLine(milk_line.pk, D("3"))],
        [RefundLine(999999, D("1"))],
        [RefundLine(milk_line.pk, D("1")), RefundLine(milk_line.pk, D("1"))],
        [RefundLine(milk_line.pk, D("0.5"))],
    ):
        with pytest.raises(ValidationError):
            services.sale_refund(actor=manager.membership, sale=done, lines=lines)
    assert not Refund.objects.exists()
    assert stock(milk) == D("48")


def test_refund_returns_goods_to_their_batches_and_money_cash_first(till, manager):
    cashier, _shift, _milk, _bread = till
    tea = ProductFactory(tenant=cashier.tenant, sale_price=D("10000"), cost_price=D("1"))
    old = receive(tea, 1, batch_number="T-OLD", expiry_date=date(2030, 1, 1), cost_price="4000").batch
    new = receive(tea, 5, batch_number="T-NEW", expiry_date=date(2031, 1, 1), cost_price="5000").batch
    sale = ring_up(cashier.membership, [(tea, 3)])
    done = services.sale_checkout(
        actor=cashier.membership,
        sale=sale,
        payments=[PaymentInput("card", D("20000")), PaymentInput("cash", D("10000"), received_amount=D("10000"))],
    )
    line = done.items.get()
    refund = services.sale_refund(actor=manager.membership, sale=done, lines=[RefundLine(line.pk, D("2"))])
    assert refund.cost_amount == D("10000.00")  # the two latest-taken units: T-NEW at 5000
    assert list(RefundPayment.objects.filter(refund=refund).values_list("payment_method", "amount")) == [
        ("cash", D("10000.00")),
        ("card", D("10000.00")),
    ]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.quantity, new.quantity) == (D("0"), D("5"))
    rest = services.sale_refund(actor=manager.membership, sale=done)
    assert rest.cost_amount == D("4000.00")
    old.refresh_from_db()
    assert old.quantity == D("1")
    assert Batch.objects.get(pk=new.pk).quantity == D("5")


def test_cash_refunds_come_out_of_the_refunding_managers_till(till, manager):
    cashier, shift, milk, _bread = till
    done = sell(cashier.membership, [(milk, 1)])
    manager_shift = open_shift(manager.membership, "5000")
    refund = services.sale_refund(actor=manager.membership, sale=done)
    assert refund.session == manager_shift
    assert shift_cash_summary(session=manager_shift)["expected_cash"] == D("-7000.00")
    assert shift_cash_summary(session=shift)["expected_cash"] == D("112000.00")


def test_reserved_quantities_are_what_pending_sales_hold(till):
    cashier, _shift, milk, bread = till
    ring_up(cashier.membership, [(milk, 2), (bread, 1)])
    other = Member(cashier.tenant, Role.CASHIER)
    open_shift(other.membership)
    sell(other.membership, [(milk, 5)])  # completed: taken from stock, not reserved
    ring_up(other.membership, [(milk, 1)])
    assert reserved_quantities(tenant=cashier.tenant) == {milk.pk: D("3.000"), bread.pk: D("1.000")}
    assert reserved_quantities(tenant=cashier.tenant, product_ids=[bread.pk]) == {bread.pk: D("1.000")}


def test_many_small_partial_refunds_never_add_up_past_the_line(till, manager):
    cashier, _shift, _milk, _bread = till
    sweet = ProductFactory(tenant=cashier.tenant, sale_price=D("0.01"), cost_price=D("0.01"), tax_rate=D("12"))
    receive(sweet, 10)
    half = CustomerGroup.objects.create(tenant=cashier.tenant, name="Half", discount_percent=D("50"))
    done = sell(cashier.membership, [(sweet, 10)], customer=make_customer(cashier.tenant, group=half))
    assert done.total_amount == D("0.05")
    line = done.items.get()
    refunds = [
        services.sale_refund(actor=manager.membership, sale=done, lines=[RefundLine(line.pk, D("1"))])
        for _ in range(10)
    ]
    assert sum(r.amount for r in refunds) == D("0.05")
    assert sum(r.cost_amount for r in refunds) == D("0.10")
    assert Sale.objects.get(pk=done.pk).status == "refunded"


def test_lines_are_costed_by_the_stock_taken_and_rewritten_only_when_that_differs(till):
    cashier, _shift, product, _bread = till
    ring_up(cashier.membership, [(product, 2)])
    pending = SaleItem.objects.get(product=product, sale__status="pending")
    assert (pending.unit_cost, pending.cost_amount) == (product.cost_price, 2 * product.cost_price)
    sale = pending.sale
    with CaptureQueriesContext(connection) as queries:
        services.sale_checkout(actor=cashier.membership, sale=sale, payments=pay_cash(sale))
    assert not [q for q in queries if q["sql"].startswith('UPDATE "sales_saleitem"')]  # costed as rung up
    assert SaleItem.objects.get(pk=pending.pk).cost_amount == 2 * product.cost_price

    sale = ring_up(cashier.membership, [(product, 3)])
    type(product).objects.filter(pk=product.pk).update(cost_price=D("9100.50"))  # before checkout
    done = services.sale_checkout(actor=cashier.membership, sale=sale, payments=pay_cash(sale))
    line = SaleItem.objects.get(sale=done)
    assert (line.unit_cost, line.cost_amount, done.cost_amount) == (D("9100.50"), D("27301.50"), D("27301.50"))
