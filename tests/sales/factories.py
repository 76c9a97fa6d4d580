"""Sales test data built through the real services (shifts, sales rung up and checked out)."""

import itertools
from decimal import Decimal

from savdo.customers.models import Customer
from savdo.sales import services
from savdo.sales.services import PaymentInput

_phones = itertools.count(1000000)


def make_customer(tenant, **fields) -> Customer:
    fields.setdefault("first_name", "Ivan")
    fields.setdefault("last_name", "Petrov")
    fields.setdefault("phone", f"+99890{next(_phones):07d}")
    return Customer.objects.create(tenant=tenant, **fields)


def open_shift(membership, opening_balance="0"):
    return services.shift_open(actor=membership, opening_balance=Decimal(opening_balance))


def ring_up(membership, lines, *, session=None, customer=None):
    """A pending sale with `lines` = [(product, quantity) or (product, quantity, batch)]."""
    sale = None
    for line in lines:
        product, qty, *rest = line
        sale = services.sale_scan_item(
            actor=membership,
            session=session,
            product=product,
            quantity=Decimal(str(qty)),
            batch=rest[0] if rest else None,
            customer=customer,
        )
    return sale


def pay_cash(sale) -> list[PaymentInput]:
    return [PaymentInput(payment_method="cash", amount=sale.total_amount, received_amount=sale.total_amount)]


def sell(membership, lines, *, session=None, customer=None):
    """A completed sale paid in cash."""
    sale = ring_up(membership, lines, session=session, customer=customer)
    return services.sale_checkout(actor=membership, sale=sale, payments=pay_cash(sale))
