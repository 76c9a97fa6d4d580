"""A demo shop for the analytics tests, built only through the real services (stock receipts, shifts,
scans, checkouts with cash and card, refunds, a cancelled and a pending sale) over a year of days,
with a frozen, movable clock. Another tenant gets sales on the same days, which must never show.

`Clock` replaces `django.utils.timezone.now` (what the services and the selectors read); JWTs use
their own clock, so API clients keep working at any moment.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from savdo.catalog.models import Product
from savdo.customers.models import Customer
from savdo.sales import services
from savdo.sales.models import Sale
from savdo.sales.services import PaymentInput, RefundLine
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, ring_up

TASHKENT = ZoneInfo("Asia/Tashkent")
# "Now" in every analytics test: noon of 17 January 2025 in Tashkent (07:00 UTC).
NOON = datetime(2025, 1, 17, 12, 0, tzinfo=TASHKENT)


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock(NOON)
    monkeypatch.setattr(timezone, "now", frozen.now)
    return frozen


def days_ago(days: int, hour: int = 12, minute: int = 0) -> datetime:
    """A local moment `days` before NOON's day, at hour:minute in Tashkent."""
    return (NOON - timedelta(days=days)).replace(hour=hour, minute=minute)


def pay(sale: Sale, *, card: Decimal | None = None) -> list[PaymentInput]:
    """Cash for the total, or `card` on a card and the rest in cash (with 1000 change handed back)."""
    payments = []
    rest = sale.total_amount
    if card:
        payments.append(PaymentInput(payment_method="card", amount=card, card_last4="4242", transaction_id="T1"))
        rest -= card
    if rest:
        payments.append(PaymentInput(payment_method="cash", amount=rest, received_amount=rest + Decimal("1000")))
    return payments


@dataclass
class Shop:
    tenant: object
    seller: Member
    clock: Clock
    products: dict[str, Product] = field(default_factory=dict)
    customers: list[Customer] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    session: object = None

    def sell(self, lines, *, at: datetime, customer: Customer | None = None, card: Decimal | None = None) -> Sale:
        """A completed sale at local moment `at` of `lines` = [(product key, quantity), ...]."""
        self.clock.set(at)
        sale = ring_up(
            self.seller.membership,
            [(self.products[key], qty) for key, qty in lines],
            session=self.session,
            customer=customer,
        )
        sale = services.sale_checkout(actor=self.seller.membership, sale=sale, payments=pay(sale, card=card))
        self.sales.append(sale)
        self.clock.set(NOON)
        return sale

    def refund(self, sale: Sale, lines=None, *, at: datetime):
        """Refund `lines` = [(product key, quantity)] of `sale` (all that is left without lines) at `at`."""
        self.clock.set(at)
        refund_lines = None
        if lines:
            items = {item.product_id: item for item in sale.items.all()}
            refund_lines = [
                RefundLine(item_id=items[self.products[key].pk].pk, quantity=Decimal(str(qty))) for key, qty in lines
            ]
        refund = services.sale_refund(actor=self.seller.membership, sale=sale, lines=refund_lines)
        self.clock.set(NOON)
        return refund


def _product(tenant, key: str, **fields) -> Product:
    return ProductFactory(tenant=tenant, name=fields.pop("name", key.title()), sku=key.upper(), **fields)


def build_shop(tenant, clock: Clock, *, rich: bool = True) -> Shop:
    """The demo shop at NOON. With `rich`, a year of sales by ten customers (and walk-ins), refunds,
    a cancelled sale and a pending one; otherwise only products, stock and an open shift."""
    clock.set(NOON - timedelta(days=400))
    shop = Shop(tenant=tenant, seller=Member(tenant, Role.MANAGER), clock=clock)
    p = shop.products
    p["milk"] = _product(
        tenant, "milk", cost_price=Decimal("9000"), sale_price=Decimal("12000"), reorder_level=Decimal("5")
    )
    p["bread"] = _product(
        tenant,
        "bread",
        cost_price=Decimal("5000"),
        sale_price=Decimal("9000"),
        tax_rate=Decimal("0"),
        reorder_level=Decimal("10"),
    )
    p["cheese"] = _product(
        tenant,
        "cheese",
        cost_price=Decimal("60000"),
        sale_price=Decimal("85000"),
        unit="kg",
        reorder_level=Decimal("2"),
    )
    p["juice"] = _product(tenant, "juice", cost_price=Decimal("7000"), sale_price=Decimal("10000"))
    p["soap"] = _product(
        tenant, "soap", cost_price=Decimal("3000"), sale_price=Decimal("5000"), reorder_level=Decimal("5")
    )
    p["salt"] = _product(tenant, "salt", cost_price=Decimal("1000"), sale_price=Decimal("2000"))
    p["old"] = _product(tenant, "old", cost_price=Decimal("1000"), sale_price=Decimal("2000"))
    user = shop.seller.user
    receive(p["milk"], 200, user=user)
    # Bread comes in a batch bought at 4500 (not the product's 5000): sales cost 4500 each.
    receive(p["bread"], 100, user=user, batch_number="BR-1", cost_price="4500")
    receive(p["cheese"], "30.500", user=user)
    receive(p["juice"], 50, user=user)
    receive(p["soap"], 3, user=user)
    # A product taken off sale with 2 left: stock lists still show it, alerts do not.
    receive(p["old"], 2, user=user)
    Product.objects.filter(pk=p["old"].pk).update(is_active=False)
    p["old"].is_active = False
    shop.session = open_shift(shop.seller.membership)
    clock.set(NOON)
    if not rich:
        return shop

    c = shop.customers
    for index in range(12):
        c.append(make_customer(tenant, first_name=f"Mijoz{index}", last_name="Test"))
    # A 5 % personal discount on the best customer: their lines carry discounts.
    Customer.objects.filter(pk=c[0].pk).update(discount_percent=Decimal("5"))
    c[0].refresh_from_db()

    # c0: often, recently, big (Champions); c9: once, long ago, small (Lost).
    for ago in (200, 100, 30, 9, 1):
        shop.sell([("cheese", "1.250"), ("milk", 3)], at=days_ago(ago, 10), customer=c[0], card=Decimal("50000"))
    shop.sell([("cheese", "2.000"), ("bread", 4)], at=days_ago(0, 0, 30), customer=c[0])  # 00:30 local today
    for ago in (250, 120, 60, 2):
        shop.sell([("milk", 4), ("bread", 2)], at=days_ago(ago, 15), customer=c[1])
    for ago in (300, 150, 90):
        shop.sell([("milk", 2), ("cheese", "0.500")], at=days_ago(ago, 18), customer=c[2])
    for ago in (40, 3):
        shop.sell([("bread", 3)], at=days_ago(ago, 9), customer=c[3])
    shop.sell([("milk", 1)], at=days_ago(1, 20), customer=c[4])
    shop.sell([("cheese", "3.000")], at=days_ago(5, 11), customer=c[5], card=Decimal("100000"))
    for ago in (330, 320, 310, 200):
        shop.sell([("milk", 5), ("cheese", "1.000")], at=days_ago(ago, 13), customer=c[6])
    shop.sell([("bread", 2)], at=days_ago(180, 16), customer=c[7])
    shop.sell([("milk", 2)], at=days_ago(250, 17), customer=c[8])
    shop.sell([("bread", 1)], at=days_ago(340, 10), customer=c[9])
    # c10 bought only before the RFM year; c11's only sale is refunded in full.
    shop.sell([("milk", 10)], at=days_ago(400, 10), customer=c[10])
    refunded = shop.sell([("cheese", "1.000")], at=days_ago(20, 10), customer=c[11])
    shop.refund(refunded, at=days_ago(19, 10))
    # Walk-ins (no customer), one of them today.
    shop.sell([("milk", 2), ("bread", 1)], at=days_ago(1, 9))
    shop.sell([("milk", 1), ("bread", 5)], at=days_ago(0, 9, 15), card=Decimal("10000"))
    # Today: partial refunds of c1's sale of two days ago (a bread) and of c0's sale of 00:30.
    shop.refund(shop.sales[9], [("bread", 1)], at=days_ago(0, 10))
    shop.refund(shop.sales[5], [("cheese", "0.500")], at=days_ago(0, 11))

    # A cancelled sale and a pending one at a cashier's till (its lines reserve stock, count nowhere else).
    clock.set(days_ago(0, 11, 30))
    cancelled = ring_up(shop.seller.membership, [(p["milk"], 7)], session=shop.session)
    services.sale_cancel(actor=shop.seller.membership, sale=cancelled)
    cashier = Member(tenant, Role.CASHIER).membership
    ring_up(cashier, [(p["milk"], 2), (p["soap"], 1)], session=open_shift(cashier))
    clock.set(NOON)
    # Later price and cost changes never rewrite what was sold.
    Product.objects.filter(pk=p["milk"].pk).update(cost_price=Decimal("11000"), sale_price=Decimal("15000"))
    return shop


def build_other_shop(tenant, clock: Clock) -> Shop:
    """Another tenant selling the same SKUs on the same days (today included) to its own customers."""
    shop = build_shop(tenant, clock, rich=False)
    buyer = make_customer(tenant, first_name="Begona")
    shop.customers.append(buyer)
    for ago in (0, 1, 3, 40):
        shop.sell([("milk", 50), ("cheese", "5.000")], at=days_ago(ago, 12 if ago else 8), customer=buyer)
    shop.refund(shop.sales[-1], [("milk", 5)], at=days_ago(0, 9))
    return shop
