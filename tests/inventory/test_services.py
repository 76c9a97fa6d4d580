"""The stock ledger: receipts, adjustments, FEFO sales, returns; balances always equal the ledger."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from savdo.inventory.exceptions import InsufficientStock
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.inventory.services import StockChange, StockRequest, stock_adjust, stock_return, stock_take
from tests.catalog.factories import ProductFactory
from tests.inventory.factories import receive


def on_hand(product) -> Decimal:
    return StockBalance.objects.get(product=product).quantity


def assert_ledger_matches(product):
    """The balance rows equal the sum of the ledger, for the product and each of its batches."""
    total = StockMovement.objects.filter(product=product).aggregate(s=Sum("quantity"))["s"] or Decimal(0)
    assert on_hand(product) == total
    for batch in Batch.objects.filter(product=product):
        in_batch = StockMovement.objects.filter(batch=batch).aggregate(s=Sum("quantity"))["s"] or Decimal(0)
        assert batch.quantity == in_batch


def take(product, qty, *, batch=None, key=1):
    with transaction.atomic():
        return stock_take(
            tenant=product.tenant,
            user=None,
            requests=[
                StockRequest(
                    key, product.pk, product.name, Decimal(qty), batch.pk if batch else None, product.cost_price
                )
            ],
            reference="TEST",
        )


def test_receive_records_a_movement_and_moves_the_balance(tenant, owner):
    product = ProductFactory(tenant=tenant)
    movement = receive(product, "12.5", user=owner.user)
    assert movement.kind == "receipt"
    assert movement.quantity == Decimal("12.500")
    assert movement.balance_after == Decimal("12.500")
    assert movement.unit_cost == product.cost_price
    assert movement.user == owner.user
    receive(product, 3)
    assert on_hand(product) == Decimal("15.500")
    assert StockMovement.objects.filter(product=product).order_by("id").last().balance_after == Decimal("15.500")
    assert_ledger_matches(product)


def test_receive_into_a_batch_keeps_its_expiry_and_cost(tenant):
    product = ProductFactory(tenant=tenant)
    receive(product, 10, batch_number="B-1", expiry_date=date(2030, 5, 1), cost_price="7000")
    receive(product, 5, batch_number="B-1")
    batch = Batch.objects.get(product=product, batch_number="B-1")
    assert batch.quantity == Decimal("15.000")
    assert batch.expiry_date == date(2030, 5, 1)
    assert batch.cost_price == Decimal("7000.00")
    assert on_hand(product) == Decimal("15.000")
    with pytest.raises(ValidationError) as error:
        receive(product, 1, batch_number="B-1", expiry_date=date(2031, 1, 1))
    assert "expiry_date" in error.value.message_dict
    assert batch.movements.count() == 2


def test_a_sale_naming_no_batch_takes_the_earliest_expiring_batches_first(tenant):
    product = ProductFactory(tenant=tenant, cost_price=Decimal("100"))
    late = receive(product, 5, batch_number="LATE", expiry_date=date(2031, 1, 1), cost_price="300").batch
    early = receive(product, 3, batch_number="EARLY", expiry_date=date(2030, 1, 1), cost_price="200").batch
    never = receive(product, 4, batch_number="NONE", cost_price="400").batch
    receive(product, 2)  # unbatched, at the product's cost

    allocations = take(product, "10")[1]
    assert [(a.batch_id, a.quantity, a.unit_cost) for a in allocations] == [
        (early.pk, Decimal("3.000"), Decimal("200.00")),
        (late.pk, Decimal("5.000"), Decimal("300.00")),
        (never.pk, Decimal("2.000"), Decimal("400.00")),
    ]
    allocations = take(product, "4")[1]
    assert [(a.batch_id, a.quantity) for a in allocations] == [(never.pk, Decimal("2.000")), (None, Decimal("2.000"))]
    assert on_hand(product) == 0
    assert_ledger_matches(product)


def test_a_named_batch_is_used_even_when_another_expires_first(tenant):
    product = ProductFactory(tenant=tenant)
    receive(product, 5, batch_number="EARLY", expiry_date=date(2030, 1, 1))
    late = receive(product, 5, batch_number="LATE", expiry_date=date(2031, 1, 1)).batch
    allocations = take(product, "2", batch=late)[1]
    assert [(a.batch_id, a.quantity) for a in allocations] == [(late.pk, Decimal("2.000"))]
    late.refresh_from_db()
    assert late.quantity == Decimal("3.000")


def test_not_enough_stock_is_refused_naming_the_product_and_nothing_moves(tenant):
    product = ProductFactory(tenant=tenant, name="Sugar")
    receive(product, 2)
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock) as error:
        take(product, "3")
    assert "Sugar" in str(error.value.detail)
    assert on_hand(product) == Decimal("2.000")
    assert StockMovement.objects.count() == before


def test_a_named_batch_short_of_stock_is_refused(tenant):
    product = ProductFactory(tenant=tenant, name="Yogurt")
    batch = receive(product, 1, batch_number="Y-1").batch
    receive(product, 10)
    with pytest.raises(InsufficientStock) as error:
        take(product, "2", batch=batch)
    assert "Y-1" in str(error.value.detail)


def test_negative_stock_only_when_the_tenant_allows_it(tenant):
    product = ProductFactory(tenant=tenant)
    with pytest.raises(InsufficientStock):
        take(product, "1")
    tenant.allow_negative_stock = True
    tenant.save()
    product.tenant.refresh_from_db()
    take(product, "1.5")
    assert on_hand(product) == Decimal("-1.500")
    assert_ledger_matches(product)


def test_returns_go_back_to_the_batch_named(tenant):
    product = ProductFactory(tenant=tenant)
    batch = receive(product, 5, batch_number="R-1").batch
    take(product, "5")
    with transaction.atomic():
        stock_return(
            tenant=tenant, user=None, changes=[StockChange(product.pk, batch.pk, Decimal("2"), batch.cost_price)]
        )
    batch.refresh_from_db()
    assert batch.quantity == Decimal("2.000")
    assert on_hand(product) == Decimal("2.000")
    assert StockMovement.objects.filter(product=product, kind="refund").get().quantity == Decimal("2.000")
    assert_ledger_matches(product)


def test_adjust_sets_the_counted_quantity(tenant, manager):
    product = ProductFactory(tenant=tenant)
    receive(product, 10)
    movement = stock_adjust(
        tenant=tenant, user=manager.user, product=product, counted_quantity=Decimal("7"), reason="Monthly count"
    )
    assert movement.kind == "adjustment"
    assert movement.quantity == Decimal("-3.000")
    assert movement.reason == "Monthly count"
    assert on_hand(product) == Decimal("7.000")
    assert stock_adjust(tenant=tenant, user=None, product=product, counted_quantity=Decimal("7"), reason="x") is None
    assert_ledger_matches(product)


def test_adjust_a_batch_moves_the_product_too(tenant):
    product = ProductFactory(tenant=tenant)
    batch = receive(product, 10, batch_number="A-1").batch
    receive(product, 4)
    stock_adjust(tenant=tenant, user=None, product=product, batch=batch, counted_quantity=Decimal("12"), reason="found")
    batch.refresh_from_db()
    assert batch.quantity == Decimal("12.000")
    assert on_hand(product) == Decimal("16.000")
    assert_ledger_matches(product)


def test_adjust_refuses_without_reason_below_batches_or_negative(tenant):
    product = ProductFactory(tenant=tenant)
    receive(product, 10, batch_number="A-1")
    with pytest.raises(ValidationError) as error:
        stock_adjust(tenant=tenant, user=None, product=product, counted_quantity=Decimal("5"), reason=" ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        stock_adjust(tenant=tenant, user=None, product=product, counted_quantity=Decimal("5"), reason="count")
    assert "counted_quantity" in error.value.message_dict
    with pytest.raises(ValidationError):
        stock_adjust(tenant=tenant, user=None, product=product, counted_quantity=Decimal("-1"), reason="count")
    assert on_hand(product) == Decimal("10.000")
