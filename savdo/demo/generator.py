"""Generated shops: tenants with staff, groups, a catalog with stock (and batches), customers, daily
shifts, sales with payments and refunds, written in bulk straight into the real tables.

The rows are exactly what the services would have written for the same history:
- lines are priced like `SaleItem.reprice()` (discount = the larger of the customer's own and
  group discount, tax inside the price), costed from the batch or the product;
- customers' purchase statistics and loyalty points equal what checkout and refund add up to;
- the stock ledger explains every balance: one receipt per product (or per batch) at the start,
  then per day and product one `sale` and one `refund` movement summing that day's lines (the
  only departure from the services, which write one movement per line: it keeps the ledger's sums
  exact at a tenth of the rows);
- receipt numbers are the tenant's sequence in time order; the rollups are rebuilt from the rows
  with `savdo.sales.rollups.rollups_rebuild`, the same code `savdo rebuild-rollups` runs.

What a shop owner sees looks like a shop's: customers have distinct mobile numbers spread over the
real operator codes (`names.phone_for`); group membership and personal discounts follow spending
(a loyalty ladder whose steps are set from the shop's own purchase rates, see `LOYALTY_STEPS`: a
customer moves up when their spending passes a step, and its discount applies from the next
purchase on), so the VIPs are the big spenders; the staff and the owner have people's names;
nothing is dated after the moment of generation (today's shift and ledger movements included); the
texts it writes (stock and refund reasons, group names and rules) are in the shop's language.

Speed (a million customers and two million sale lines in under two minutes on two cores): the rows
that need the ORM (tenants, logins, groups, categories) are created first, for every shop; then the
shops' histories are computed, on PostgreSQL in forked worker processes (`_ShopWorkers`), with ids
counted from 0 in each shop and moved up to the shop's id block when written, so shops need not
wait for each other. `savdo.demo.bulk` formats the rows as COPY text, and one thread of this
process sends it, so PostgreSQL stores one shop while the next ones are computed. Each shop draws
from its own seeded `random.Random` in a fixed order and the id blocks are taken in shop order, so
a seed gives the same rows whatever the number of processes.
"""

import functools
import multiprocessing
import multiprocessing.connection
import os
import random
import time as time_module
import traceback
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from savdo.accounts.models import User
from savdo.catalog.models import Category, Product
from savdo.core import counts
from savdo.core.money import HUNDRED, ZERO, ZERO_QTY, money, quantity
from savdo.customers.models import Customer, CustomerGroup, _search_text
from savdo.demo.bulk import (
    CopyStream,
    IdAllocator,
    TableWriter,
    copy_in_background,
    copy_into,
    formatted_moments,
    reset_sequences,
)
from savdo.demo.names import NamePool, company_for, ean13, email_for, phone_for, product_catalog
from savdo.inventory.choices import MovementKind
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.sales.choices import PaymentMethod, SaleStatus, ShiftStatus
from savdo.sales.models import (
    CashSession,
    DailyCustomer,
    DailyProductSales,
    DailySales,
    Payment,
    ReceiptCounter,
    Refund,
    RefundItem,
    RefundPayment,
    Sale,
    SaleItem,
    SaleItemAllocation,
)
from savdo.sales.rollups import PAID_COLUMNS, REFUNDED_COLUMNS
from savdo.sales.services import RECEIPT_PREFIX
from savdo.tenancy.models import Membership, Role, Tenant

REFUND_SHARE = 0.02
REFUND_DELAYS = (0, 0, 1, 2)  # days after the sale
SPLIT_PAYMENT_SHARE = 0.05
SPLIT_PAYMENT_FROM = Decimal("1000")
SPLIT_CARD_SHARES = (Decimal("0.3"), Decimal("0.5"), Decimal("0.7"))
CUSTOMER_SHARE = 0.7
METHODS = [
    (PaymentMethod.CASH.value, 0.5),
    (PaymentMethod.CARD.value, 0.35),
    (PaymentMethod.MOBILE.value, 0.1),
    (PaymentMethod.TRANSFER.value, 0.05),
]


# The loyalty ladder a shop sets up: customers move up as their spending (net of refunds) passes each
# step's amount, and the step's discount applies from their next purchase on. The group steps are
# customer groups (name, discount %); the last step is a personal discount, kept beside the VIP group.
# Step amounts are set per shop (see `_loyalty_steps`): the spending of the customer at `share` of all
# customers, counted from the biggest, or of `at_least` typical purchases if that is more.
@dataclass(frozen=True)
class LoyaltyStep:
    share: float
    at_least: int
    group: int | None  # index into GROUPS; None: a personal discount
    personal_discount: Decimal = Decimal("0")


GROUPS = [
    (gettext_lazy("Ordinary customers"), Decimal("0")),
    (gettext_lazy("Regular customers"), Decimal("5")),
    (gettext_lazy("VIP customers"), Decimal("15")),
]
LOYALTY_STEPS = (
    LoyaltyStep(share=1.0, at_least=0, group=0),  # from the first purchase
    LoyaltyStep(share=0.10, at_least=3, group=1),
    LoyaltyStep(share=0.025, at_least=6, group=2),
    LoyaltyStep(share=0.003, at_least=10, group=None, personal_discount=Decimal("20")),
)
# The biggest spenders a manager would never leave out of the groups (checked at the end).
TOP_SPENDERS = 5
MIN_STEP_RANK = 3  # in a small shop, a step is still set by the third most frequent buyer or one further down
TYPICAL_SALE_SAMPLE = 400  # sales drawn to learn a shop's typical purchase
OPEN_HOUR, CLOSE_HOUR = 9, 21
LINES_PER_SALE = (1, 2, 2, 3, 3, 3, 4, 4, 5)  # drawn per sale; a product drawn twice is one line
PIECES = (1, 1, 1, 2, 2, 3)
WEIGHED_UNITS = frozenset(("kg", "l", "m", "g", "ml"))
CITIES = ("Toshkent", "Toshkent", "Samarqand", "Buxoro", "Andijon", "Namangan")
OPENING_STOCK_LEFT = (0, 3, 8, 25, 60, 120, 200)  # what is left on the shelf today, per product or batch
REFUND_REASONS = (
    gettext_lazy("The customer changed their mind"),
    gettext_lazy("Damaged packaging"),
    gettext_lazy("Expired product"),
    gettext_lazy("Cashier's mistake"),
)
NO_DISCOUNT = Decimal("0.00")
CUSTOMERS_BEFORE_DAYS = 400  # customers' cards were made up to this many days before the history
NO_STATISTICS = (ZERO, 0, None, ZERO)

CASH, CARD = PaymentMethod.CASH.value, PaymentMethod.CARD.value
COMPLETED, REFUNDED = SaleStatus.COMPLETED.value, SaleStatus.REFUNDED.value
# Per (day, product) rollup, in this order in the accumulators.
PRODUCT_SUMS = (
    "quantity",
    "revenue",
    "cost",
    "profit",
    "sales_count",
    "refunded_quantity",
    "refunded_revenue",
    "refunded_cost",
)
ROLLUP_COUNTS = {"sales_count", "refunds_count", "unique_customers"}
HISTORY_TABLES = ("shift", "sale", "item", "alloc", "payment", "refund", "refund_item", "refund_payment")


@dataclass
class TenantPlan:
    name: str
    customers: int
    products: int
    sales: int
    days: int
    owner_username: str
    password: str
    busy_customer_purchases: int = 0
    with_batches: bool = False
    staff: list[tuple[str, str, str, str]] = field(default_factory=list)  # (username, first, last, role)
    owner_name: tuple[str, str] | None = None  # (first, last); default: a name drawn like the customers'
    language: str = "ru"  # the shop's language: what its generated texts are written in


@dataclass(slots=True, eq=False)
class _Product:
    id: int
    name: str
    sku: str
    unit: str
    price: Decimal
    cost: Decimal
    tax: Decimal
    perishable: bool = False
    batches: list[list] = field(default_factory=list)  # [batch_id, remaining, cost, number, expiry]
    # Quantity drawn -> (quantity, subtotal, cost, unit cost, tax without discount): lines repeat.
    lines: dict = field(default_factory=dict)
    sold: dict = field(default_factory=dict)  # day -> quantity sold (from the first batch, if any)
    returned: dict = field(default_factory=dict)  # day -> quantity refunded

    def line(self, drawn: int) -> tuple:
        """The line amounts that depend on the quantity only (`drawn`: grams or pieces drawn)."""
        amounts = self.lines.get(drawn)
        if amounts is None:
            qty = quantity(Decimal(drawn) / 1000) if self.unit in WEIGHED_UNITS else Decimal(drawn)
            subtotal = money(qty * self.price)
            unit_cost = self.batches[0][2] if self.batches else self.cost
            cost = money(qty * unit_cost)
            tax = money(subtotal * self.tax / (HUNDRED + self.tax))
            amounts = self.lines[drawn] = (qty, subtotal, cost, money(cost / qty), tax)
        return amounts


class _SearchSource:
    """The fields `_search_text` reads, without the cost of a model instance per customer."""

    __slots__ = ("company_name", "display_name", "email", "first_name", "last_name", "middle_name", "phone", "phone_2")

    def __init__(self, first_name, last_name, middle_name, company_name, email, phone):
        self.first_name, self.last_name, self.middle_name = first_name, last_name, middle_name
        self.company_name, self.email, self.phone = company_name, email, phone
        self.display_name = self.phone_2 = ""


@functools.cache
def _password_hash(password: str) -> str:
    """One Argon2 hash per password and run: hashing is deliberately slow, shops share logins' password."""
    return make_password(password)


def _round_amount(amount: Decimal) -> Decimal:
    """`amount` down to two significant digits (1 234 567 -> 1 200 000), as a shop writes a rule."""
    whole = int(amount)
    if whole < 100:
        return Decimal(whole)
    unit = 10 ** (len(str(whole)) - 2)
    return Decimal(whole // unit * unit)


def _pick_method(rng: random.Random) -> str:
    roll = rng.random()
    for method, share in METHODS:
        if roll < share:
            return method
        roll -= share
    return CASH


class ShopGenerator:
    """One tenant's history, inside one transaction: `prepare()` writes the ORM rows, `generate()`
    computes everything else without a query (COPY statements may be running meanwhile, or it runs
    in another process), `write(bases)` writes it."""

    def __init__(self, plan: TenantPlan, *, seed: int, names: NamePool, now: datetime):
        self.plan = plan
        self.rng = random.Random(seed)
        self.names = names
        # Ids of the generated rows count from 0 in each shop; `write()` adds the shop's first global
        # ids (`bases`), so that shops can be computed apart, in any order or process.
        self.ids = IdAllocator(local=True)
        self.now = now
        self.password_hash = _password_hash(plan.password)
        self.timings: dict[str, float] = {}
        self.tables: list[tuple[type[models.Model], list[str], Iterable[tuple]]] = []
        self._mark = time_module.monotonic()

    def _timed(self, phase: str) -> None:
        now = time_module.monotonic()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self._mark
        self._mark = now

    def _table(self, model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> None:
        """Rows to write, with shop-local ids, in the order `write()` writes them."""
        self.tables.append((model, columns, rows))

    def write(self, bases: dict[type[models.Model], int]) -> None:
        """Write the generated rows, each model's local ids moved up by `bases[model]` (its first id
        for this shop): through `TableWriter`, so to the COPY stream or pipe in effect."""
        self._mark = time_module.monotonic()
        self.bases = bases
        moments = formatted_moments()  # a sale's moment is in its items, payments and customer too
        for model, columns, rows in self.tables:
            TableWriter(model, columns, bases=bases, moments=moments).write(rows)
        # Written: let the rows go (a million customers' history does not fit twice).
        self.tables, self.rows, self.stats, self.products = [], {}, {}, []
        self.days_rollup, self.products_rollup, self.customer_days = {}, {}, set()
        self._timed("write")

    # --- people and catalog -------------------------------------------------------------------
    def prepare(self) -> None:
        """The rows written through the ORM: tenant, logins and memberships, groups, categories; and
        the texts the history needs, in the shop's language (`generate()` may run in another process)."""
        self._mark = time_module.monotonic()
        # The shop has been open since before its oldest customer card (see `_write_customers`).
        self.since = self.now - timedelta(days=self.plan.days + CUSTOMERS_BEFORE_DAYS + 1)
        self._tenant_and_staff()
        with translation.override(self.tenant.language):
            self.texts = {
                "opening": str(gettext_lazy("Opening stock")),
                "sales": str(gettext_lazy("Sales of %(date)s")),
                "refunds": str(gettext_lazy("Returns of %(date)s")),
                "refund_reasons": [str(reason) for reason in REFUND_REASONS],
                "group_rule": str(gettext_lazy("Discount %(percent)s%% from %(amount)s UZS of purchases")),
                "group_first": str(gettext_lazy("From the first purchase")),
            }
        self.specs = product_catalog(self.plan.products, self.rng)
        self.categories = {}
        for spec in self.specs:
            if spec["category"] not in self.categories:
                self.categories[spec["category"]] = Category.objects.create(tenant=self.tenant, name=spec["category"])
        Category.objects.filter(tenant=self.tenant).update(created_at=self.since, updated_at=self.since)
        self._timed("prepare")

    def _tenant_and_staff(self) -> None:
        plan = self.plan
        self.tenant = Tenant.objects.create(name=plan.name, language=plan.language)
        Tenant.objects.filter(pk=self.tenant.pk).update(created_at=self.since)
        self.zone = ZoneInfo(self.tenant.time_zone)
        first, last = plan.owner_name or self.names.person_parts(self.rng)[:2]
        staff = [(plan.owner_username, first, last, Role.OWNER)]
        if plan.staff:
            staff.extend(plan.staff)
        else:
            first, last, _middle = self.names.person_parts(self.rng)
            staff.append((f"{plan.owner_username}-cashier", first, last, Role.CASHIER))
        self.cashiers = []
        for username, first, last, role in staff:
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                password=self.password_hash,
                email=f"{username}@example.com",
                date_joined=self.since,
            )
            Membership.objects.create(user=user, tenant=self.tenant, role=role)
            if role == Role.OWNER:
                owner = user
            elif role == Role.CASHIER:
                self.cashiers.append(user)
        Membership.objects.filter(tenant=self.tenant).update(created_at=self.since)
        if not self.cashiers:
            self.cashiers.append(owner)
        with translation.override(self.tenant.language):
            self.groups = [
                CustomerGroup.objects.create(tenant=self.tenant, name=str(name), discount_percent=percent)
                for name, percent in GROUPS
            ]
        CustomerGroup.objects.filter(tenant=self.tenant).update(created_at=self.since, updated_at=self.since)

    def _catalog(self) -> None:
        tenant, rng = self.tenant, self.rng
        first = self.ids.take(Product, len(self.specs))
        rows, self.products = [], []
        for offset, spec in enumerate(self.specs):
            pid = first + offset
            sku = f"SKU-{tenant.pk}-{offset + 1:05d}"
            rows.append(
                (
                    pid,
                    tenant.pk,
                    spec["name"],
                    sku,
                    ean13(478, tenant.pk * 100000 + offset),
                    "",
                    self.categories[spec["category"]].pk,
                    spec["cost_price"],
                    spec["sale_price"],
                    spec["wholesale_price"],
                    spec["tax_rate"],
                    spec["unit"],
                    True,
                    Decimal(rng.choice((5, 10, 20))),
                    self.since,
                    self.since,
                )
            )
            self.products.append(
                _Product(
                    pid,
                    spec["name"],
                    sku,
                    spec["unit"],
                    spec["sale_price"],
                    spec["cost_price"],
                    spec["tax_rate"],
                    spec["perishable"],
                )
            )
        self._table(
            Product,
            [
                "id",
                "tenant_id",
                "name",
                "sku",
                "barcode",
                "description",
                "category_id",
                "cost_price",
                "sale_price",
                "wholesale_price",
                "tax_rate",
                "unit",
                "is_active",
                "reorder_level",
                "created_at",
                "updated_at",
            ],
            rows,
        )

    # --- the history --------------------------------------------------------------------------
    def _local(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second), tzinfo=self.zone).astimezone(UTC)

    def generate(self) -> dict:
        """Computes the rows of the catalog, customers, shifts, sales, refunds, stock and rollups (for
        `write()`); returns the shop's summary."""
        self._mark = time_module.monotonic()
        plan, rng = self.plan, self.rng
        self._catalog()
        tenant = self.tenant
        today = timezone.localtime(self.now, self.zone).date()
        first_day = today - timedelta(days=plan.days - 1)
        customer_first_id = self.ids.take(Customer, plan.customers)
        random_ = rng.random

        if plan.with_batches:
            self._plan_batches(first_day)

        # Sales per day, busiest on weekends; the busy customer's purchases spread over the days.
        weights = [1.25 if (first_day + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(plan.days)]
        scale = plan.sales / sum(weights)
        # Days before today only, so that all of them have happened: the busy customer has exactly that many.
        busy_days = sorted(rng.randrange(max(1, plan.days - 1)) for _ in range(plan.busy_customer_purchases))
        busy_by_day = defaultdict(int)
        for d in busy_days:
            busy_by_day[d] += 1
        # A refund happens on its day at CLOSE_HOUR - 1 (or right after the sale, if that is later).
        self.refund_times = [self._local(first_day + timedelta(days=d), CLOSE_HOUR - 1) for d in range(plan.days)]
        now = self.now

        # First who buys when (so that the loyalty steps can be set from how often customers buy),
        # then what they buy.
        many_customers = plan.customers > 1
        customer_span = plan.customers - 1
        purchases = [0] * plan.customers
        schedule = []  # (day number, day, [(seconds after opening, customer index or None)])
        for d in range(plan.days):
            day = first_day + timedelta(days=d)
            count = int(scale * weights[d] * rng.uniform(0.8, 1.2)) + busy_by_day[d]
            if count == 0 or self._local(day, OPEN_HOUR - 1, 55) >= now:
                continue  # no sales that day, or the shop has not opened yet today
            opening = self._local(day, OPEN_HOUR)
            seconds = sorted(rng.randrange(0, (CLOSE_HOUR - OPEN_HOUR) * 3600) for _ in range(count))
            if day == today:
                seconds = [offset for offset in seconds if opening + timedelta(seconds=offset) < now]
            busy_left = busy_by_day[d]
            busy_every = max(1, count // (busy_by_day[d] + 1))
            sales = []
            for n, offset in enumerate(seconds):
                customer = None
                if busy_left and n % busy_every == 0:
                    customer, busy_left = 0, busy_left - 1
                elif many_customers and random_() < CUSTOMER_SHARE:
                    customer = 1 + int(customer_span * random_() ** 2)
                if customer is not None:
                    purchases[customer] += 1
                sales.append((offset, customer))
            schedule.append((d, day, sales))

        self.rows: dict[str, list[tuple]] = {name: [] for name in HISTORY_TABLES}
        # customer index -> [total, count, last purchase, points]
        self.stats: dict[int, list] = {}
        self.days_rollup: dict[date, defaultdict] = defaultdict(lambda: defaultdict(lambda: ZERO))
        self.products_rollup: dict[tuple[date, int], list] = {}  # (day, product id) -> PRODUCT_SUMS
        self.customer_days: set[tuple[date, int]] = set()  # (day, customer id)
        # Each customer's place on the loyalty ladder: step reached, group, personal and applied discount.
        self.steps = self._loyalty_steps(purchases)
        self.step_of = [0] * plan.customers
        self.group_of: list[int | None] = [None] * plan.customers
        self.personal_of: list[Decimal] = [NO_DISCOUNT] * plan.customers
        self.discount_of: list[Decimal] = [NO_DISCOUNT] * plan.customers
        self.customer_first_id = customer_first_id
        self.loyalty = tenant.loyalty_percent
        self.last_day = plan.days - 1
        receipt_seq = 0

        for d, day, sales in schedule:
            cashier = self.cashiers[d % len(self.cashiers)]
            shift_id = self.ids.take(CashSession)
            opened = self._local(day, OPEN_HOUR - 1, 55)
            closing = self._local(day, CLOSE_HOUR, 5)
            opening = self._local(day, OPEN_HOUR)
            receipt_prefix = f"{RECEIPT_PREFIX}-{day:%Y%m%d}-"
            shift_cash = ZERO
            for offset, customer in sales:
                receipt_seq += 1
                shift_cash += self._sale(
                    shift_id,
                    cashier.pk,
                    customer,
                    opening + timedelta(seconds=offset),
                    d,
                    day,
                    f"{receipt_prefix}{receipt_seq:06d}",
                )
                if customer is not None:
                    self._climb(customer)
            closed = day != today
            self.rows["shift"].append(
                (
                    shift_id,
                    tenant.pk,
                    cashier.pk,
                    ShiftStatus.CLOSED if closed else ShiftStatus.OPEN,
                    ZERO,
                    opened,
                    closing if closed else None,
                    cashier.pk if closed else None,
                    shift_cash if closed else None,
                    shift_cash if closed else None,
                    ZERO if closed else None,
                    "",
                )
            )
        self._review_top_spenders()

        self._timed("plan")
        self._write_customers(customer_first_id, self.stats)
        self._timed("customers")
        self._write_history()
        self._write_stock(first_day)
        self._timed("stock")
        self._table(
            ReceiptCounter,
            ["id", "tenant_id", "last_number"],
            [(self.ids.take(ReceiptCounter), tenant.pk, receipt_seq)],
        )
        self._write_rollups()
        self._timed("rollups")
        return {
            "tenant": tenant,
            "customers": plan.customers,
            "products": len(self.products),
            "sales": len(self.rows["sale"]),
            "lines": len(self.rows["item"]),
            "refunds": len(self.rows["refund"]),
            "loyalty_steps": [(amount, step.group, step.personal_discount) for amount, step in self.steps],
            "timings": self.timings,
        }

    # --- the loyalty ladder -------------------------------------------------------------------
    def _typical_sale(self) -> Decimal:
        """The mean total of `TYPICAL_SALE_SAMPLE` purchases drawn as `_sale` draws them."""
        rng, products = self.rng, self.products
        total = ZERO
        for _ in range(TYPICAL_SALE_SAMPLE):
            chosen = set()
            for _ in range(rng.choice(LINES_PER_SALE)):
                product = products[int(len(products) * rng.random() ** 1.5)]
                if product.id in chosen:
                    continue
                chosen.add(product.id)
                drawn = rng.randrange(250, 3000) if product.unit in WEIGHED_UNITS else rng.choice(PIECES)
                total += product.line(drawn)[1]
        return total / TYPICAL_SALE_SAMPLE

    def _loyalty_steps(self, purchases: list[int]) -> list[tuple[Decimal, LoyaltyStep]]:
        """`LOYALTY_STEPS` with the spending that reaches each in this shop, as a shop would set it from
        how often its customers buy (`purchases`: per customer) and what a purchase typically costs:
        round amounts, each at least half as much again as the one before."""
        typical = self._typical_sale()
        ranked = sorted(purchases, reverse=True)
        steps, previous = [], ZERO
        for step in LOYALTY_STEPS:
            rank = min(len(ranked), max(MIN_STEP_RANK, round(len(ranked) * step.share)))
            count = max(step.at_least, ranked[rank - 1] if ranked else 0)
            amount = _round_amount(max(typical * count, previous * Decimal("1.5")))
            steps.append((amount, step))
            previous = amount
        return steps

    def _climb(self, customer: int) -> None:
        """Move the customer up the ladder as far as their spending (net of refunds) reaches; the new
        discount applies from their next purchase on."""
        reached = self.step_of[customer]
        spent = self.stats[customer][0]
        steps = self.steps
        while reached < len(steps) and spent > 0 and spent >= steps[reached][0]:
            reached += 1
        if reached != self.step_of[customer]:
            self._promote(customer, reached)

    def _promote(self, customer: int, reached: int) -> None:
        """Put the customer on the first `reached` steps of the ladder."""
        for _amount, step in self.steps[self.step_of[customer] : reached]:
            if step.group is None:
                self.personal_of[customer] = step.personal_discount
            else:
                self.group_of[customer] = step.group
        self.step_of[customer] = reached
        group = self.group_of[customer]
        group_discount = GROUPS[group][1] if group is not None else NO_DISCOUNT
        self.discount_of[customer] = max(self.personal_of[customer], group_discount)

    def _review_top_spenders(self) -> None:
        """The manager's look at the list today: the biggest spenders get at least the first group
        with a discount, had the ladder not lifted them there already."""
        with_discount = next(n for n, (_a, step) in enumerate(self.steps) if step.group and GROUPS[step.group][1])
        top = sorted(self.stats, key=lambda customer: self.stats[customer][0], reverse=True)[:TOP_SPENDERS]
        for customer in top:
            if self.stats[customer][0] > 0 and self.step_of[customer] <= with_discount:
                self._promote(customer, with_discount + 1)

    def describe_groups(self, steps: list[tuple[Decimal, int | None, Decimal]]) -> None:
        """Write the rule of each group (from `generate()`'s `loyalty_steps`) into its description."""
        for amount, group, _personal in steps:
            if group is None:
                continue
            if amount:
                rule = self.texts["group_rule"] % {
                    "percent": f"{GROUPS[group][1]:f}",
                    "amount": f"{int(amount):,}".replace(",", " "),
                }
            else:
                rule = self.texts["group_first"]
            CustomerGroup.objects.filter(pk=self.groups[group].pk).update(description=rule)

    def _plan_batches(self, first_day: date) -> None:
        for product in self.products:
            if not product.perishable:
                continue
            for n, (days, cost_factor) in enumerate(((20, Decimal("0.98")), (60, Decimal("1.02")))):
                batch_id = self.ids.take(Batch)
                expiry = first_day + timedelta(days=days * (n + 1) + self.plan.days)
                product.batches.append(
                    [batch_id, None, money(product.cost * cost_factor), f"B{n + 1}-{product.sku}", expiry]
                )

    def _sale(self, shift_id: int, cashier_id: int, customer: int | None, moment: datetime, d: int, day, receipt):
        """One sale (and its refund, if it gets one) into `self.rows`, statistics and rollups; returns
        the cash it leaves in the till. The random draws are the history: their order is fixed."""
        rng, tenant_id, products = self.rng, self.tenant.pk, self.products
        random_ = rng.random
        sale_id = self.ids.take(Sale)
        discount_pct = self.discount_of[customer] if customer is not None else NO_DISCOUNT
        chosen = []
        lines = []  # (product, qty, subtotal, discount, total, tax, cost, unit cost)
        for _ in range(rng.choice(LINES_PER_SALE)):
            product = products[int(len(products) * random_() ** 1.5)]
            if product in chosen:
                continue
            chosen.append(product)
            # Grams (or millilitres, centimetres) for weighed goods, else pieces.
            drawn = rng.randrange(250, 3000) if product.unit in WEIGHED_UNITS else rng.choice(PIECES)
            qty, subtotal, cost, unit_cost, tax = product.line(drawn)
            if discount_pct:
                discount = money(subtotal * discount_pct / HUNDRED)
                total = subtotal - discount
                tax = money(total * product.tax / (HUNDRED + product.tax))
            else:
                discount, total = ZERO, subtotal
            lines.append((product, qty, subtotal, discount, total, tax, cost, unit_cost))
        sale_total = sum([line[4] for line in lines], ZERO)
        points = money(sale_total * self.loyalty / HUNDRED) if customer is not None else ZERO

        if random_() < SPLIT_PAYMENT_SHARE and sale_total > SPLIT_PAYMENT_FROM:
            card = money(sale_total * rng.choice(SPLIT_CARD_SHARES))
            payments = [(CASH, sale_total - card), (CARD, card)]
        else:
            payments = [(_pick_method(rng), sale_total)]
        payment_rows = []
        first_payment = self.ids.take(Payment, len(payments))
        cash_in_till = change_total = ZERO
        for n, (method, amount) in enumerate(payments):
            received, change, last4, txn = ZERO, ZERO, "", ""
            if method == CASH:
                received = (amount / 1000).to_integral_value(rounding="ROUND_CEILING") * 1000
                change = received - amount
                cash_in_till += amount
            elif method == CARD:
                last4 = f"{rng.randrange(10000):04d}"  # the transaction id: see `_payment_rows`
            change_total += change
            payment_rows.append(
                [first_payment + n, tenant_id, sale_id, method, amount, received, change, last4, txn, moment, ZERO]
            )
        refund_day = None
        if customer != 0 and random_() < REFUND_SHARE:
            refund_day = min(self.last_day, d + rng.choice(REFUND_DELAYS))

        discount_sum = tax_sum = cost_sum = subtotal_sum = ZERO
        qty_sum = ZERO_QTY
        item_first = self.ids.take(SaleItem, len(lines))
        alloc_first = self.ids.take(SaleItemAllocation, len(lines))
        items, allocs = self.rows["item"], self.rows["alloc"]
        products_rollup = self.products_rollup
        refunded = refund_day is not None
        for n, (product, qty, subtotal, discount, total, tax, cost, unit_cost) in enumerate(lines):
            batch_id = product.batches[0][0] if product.batches else None
            items.append(
                (
                    item_first + n,
                    tenant_id,
                    sale_id,
                    product.id,
                    None,
                    product.name,
                    product.sku,
                    product.unit,
                    qty,
                    product.price,
                    discount_pct,
                    subtotal,
                    discount,
                    product.tax,
                    tax,
                    total,
                    unit_cost,
                    cost,
                    moment,
                    # Refunded quantity, amount, discount, tax, cost: refunds return whole sales.
                    *((qty, total, discount, tax, cost) if refunded else (ZERO_QTY, ZERO, ZERO, ZERO, ZERO)),
                )
            )
            allocs.append(
                (alloc_first + n, tenant_id, item_first + n, batch_id, qty, unit_cost, qty if refunded else ZERO_QTY)
            )
            product.sold[day] = product.sold.get(day, ZERO_QTY) + qty
            key = (day, product.id)
            sums = products_rollup.get(key)
            if sums is None:
                sums = products_rollup[key] = [ZERO, ZERO, ZERO, ZERO, 0, ZERO, ZERO, ZERO]
            sums[0] += qty
            sums[1] += total
            sums[2] += cost
            sums[3] += total - cost
            sums[4] += 1
            subtotal_sum += subtotal
            discount_sum += discount
            tax_sum += tax
            cost_sum += cost
            qty_sum += qty

        customer_id = self.customer_first_id + customer if customer is not None else None
        totals = self.days_rollup[day]
        totals["sales_count"] += 1
        totals["sales_amount"] += sale_total
        totals["discount_amount"] += discount_sum
        totals["tax_amount"] += tax_sum
        totals["cost_amount"] += cost_sum
        totals["items_sold"] += qty_sum
        if customer_id is not None and (day, customer_id) not in self.customer_days:
            self.customer_days.add((day, customer_id))
            totals["unique_customers"] += 1
        for payment in payment_rows:
            totals[PAID_COLUMNS[payment[3]]] += payment[4]
        if customer is not None:
            entry = self.stats.get(customer)
            if entry is None:
                entry = self.stats[customer] = [ZERO, 0, None, ZERO]
            entry[0] += sale_total
            entry[1] += 1
            entry[2] = moment
            entry[3] += points

        self.rows["sale"].append(
            (
                sale_id,
                tenant_id,
                shift_id,
                cashier_id,
                customer_id,
                receipt,
                REFUNDED if refunded else COMPLETED,
                discount_pct,
                subtotal_sum,
                discount_sum,
                tax_sum,
                sale_total,
                sale_total,
                change_total,
                sale_total if refunded else ZERO,  # refunded_amount
                cost_sum,
                qty_sum,
                points,
                moment,
                moment,
                moment,
                None,
            )
        )
        if refunded:
            self._refund(sale_id, customer, moment, refund_day, lines, item_first, payment_rows, points)
        self.rows["payment"].extend([tuple(row) for row in payment_rows])
        return cash_in_till

    def _refund(self, sale_id, customer, sale_moment, refund_day, lines, item_first, payment_rows, points) -> None:
        """The whole sale returned on `refund_day`: rows, statistics and rollups."""
        tenant_id = self.tenant.pk
        moment = max(sale_moment, self.refund_times[refund_day])
        if moment >= self.now:
            moment = sale_moment + timedelta(seconds=1)
        day = timezone.localtime(moment, self.zone).date()
        total = sum([line[4] for line in lines], ZERO)
        discount = sum([line[3] for line in lines], ZERO)
        tax = sum([line[5] for line in lines], ZERO)
        cost = sum([line[6] for line in lines], ZERO)
        qty = sum([line[1] for line in lines], ZERO_QTY)
        refund_id = self.ids.take(Refund)
        self.rows["refund"].append(
            (
                refund_id,
                tenant_id,
                sale_id,
                None,
                self.cashiers[0].pk,
                total,
                discount,
                tax,
                cost,
                qty,
                points,
                True,
                self.rng.choice(self.texts["refund_reasons"]),
                moment,
            )
        )
        first = self.ids.take(RefundItem, len(lines))
        refund_items = self.rows["refund_item"]
        for n, (product, line_qty, _sub, discount_, total_, tax_, cost_, _unit) in enumerate(lines):
            item_id = item_first + n
            refund_items.append((first + n, tenant_id, refund_id, item_id, line_qty, total_, discount_, tax_, cost_))
            product.returned[day] = product.returned.get(day, ZERO_QTY) + line_qty
            key = (day, product.id)
            sums = self.products_rollup.get(key)
            if sums is None:
                sums = self.products_rollup[key] = [ZERO, ZERO, ZERO, ZERO, 0, ZERO, ZERO, ZERO]
            sums[5] += line_qty
            sums[6] += total_
            sums[7] += cost_
            sums[3] -= total_ - cost_
        first = self.ids.take(RefundPayment, len(payment_rows))
        for n, payment in enumerate(payment_rows):
            payment[10] = payment[4]  # refunded_amount
            self.rows["refund_payment"].append((first + n, tenant_id, refund_id, payment[0], payment[3], payment[4]))

        totals = self.days_rollup[day]
        totals["refunds_count"] += 1
        totals["refunds_amount"] += total
        totals["refunded_discount"] += discount
        totals["refunded_tax"] += tax
        totals["refunded_cost"] += cost
        totals["refunded_items"] += qty
        for payment in payment_rows:
            totals[REFUNDED_COLUMNS[payment[3]]] += payment[4]
        if customer is not None:
            entry = self.stats[customer]
            entry[0] -= total
            entry[1] -= 1
            entry[3] -= points

    # --- rollups: the same sums `savdo.sales.rollups` keeps (a test compares with rollups_rebuild) ---
    def _write_rollups(self) -> None:
        tenant = self.tenant
        day_columns = [
            f.attname for f in DailySales._meta.concrete_fields if f.attname not in ("id", "tenant_id", "date")
        ]
        product_columns = [
            f.attname
            for f in DailyProductSales._meta.concrete_fields
            if f.attname not in ("id", "tenant_id", "date", "product_id")
        ]

        def value(values, name):
            raw = values.get(name, ZERO)
            return int(raw) if name in ROLLUP_COUNTS else raw

        first = self.ids.take(DailySales, len(self.days_rollup))
        self._table(
            DailySales,
            ["id", "tenant_id", "date", *day_columns],
            [
                (first + n, tenant.pk, day, *[value(values, c) for c in day_columns])
                for n, (day, values) in enumerate(sorted(self.days_rollup.items()))
            ],
        )
        first = self.ids.take(DailyProductSales, len(self.products_rollup))
        if product_columns == list(PRODUCT_SUMS):
            rows = (
                (first + n, tenant.pk, day, pid, *sums)
                for n, ((day, pid), sums) in enumerate(sorted(self.products_rollup.items()))
            )
        else:  # the model has changed: its columns by name, zero for one not summed here
            positions = [PRODUCT_SUMS.index(c) if c in PRODUCT_SUMS else len(PRODUCT_SUMS) for c in product_columns]
            rows = (
                (first + n, tenant.pk, day, pid, *[(*sums, ZERO)[p] for p in positions])
                for n, ((day, pid), sums) in enumerate(sorted(self.products_rollup.items()))
            )
        self._table(DailyProductSales, ["id", "tenant_id", "date", "product_id", *product_columns], rows)
        first = self.ids.take(DailyCustomer, len(self.customer_days))
        self._table(
            DailyCustomer,
            ["id", "tenant_id", "date", "customer_id"],
            (
                (first + n, tenant.pk, day, customer_id)
                for n, (day, customer_id) in enumerate(sorted(self.customer_days))
            ),
        )

    # --- writing ------------------------------------------------------------------------------
    def _write_customers(self, first_id: int, stats: dict) -> None:
        rng, tenant_id, now, days = self.rng, self.tenant.pk, self.now, self.plan.days
        group_ids = [group.pk for group in self.groups]
        group_of, personal_of = self.group_of, self.personal_of
        random_, randrange, choice = rng.random, rng.randrange, rng.choice
        person = self.names.person_parts
        rows = []
        for index in range(self.plan.customers):
            first_name, last_name, middle_name = person(rng)
            phone = phone_for(index)
            email = email_for(first_name, last_name, index) if random_() < 0.3 else ""
            company = company_for(last_name) if random_() < 0.04 else ""
            digest = _search_text(_SearchSource(first_name, last_name, middle_name, company, email, phone))
            total, count, last, points = stats.get(index, NO_STATISTICS)
            created = now - timedelta(days=days + randrange(0, CUSTOMERS_BEFORE_DAYS), seconds=randrange(86400))
            rows.append(
                (
                    first_id + index,
                    tenant_id,
                    "company" if company else "individual",
                    first_name,
                    last_name,
                    middle_name,
                    company,
                    phone,
                    email,
                    digest,
                    choice(CITIES),
                    None if group_of[index] is None else group_ids[group_of[index]],
                    personal_of[index],
                    total,
                    count,
                    last,
                    points,
                    created,
                    created,
                )
            )
        self._table(
            Customer,
            [
                "id",
                "tenant_id",
                "customer_type",
                "first_name",
                "last_name",
                "middle_name",
                "company_name",
                "phone",
                "email",
                "search_text",
                "city",
                "group_id",
                "discount_percent",
                "total_purchases",
                "total_purchases_count",
                "last_purchase_at",
                "loyalty_points",
                "created_at",
                "updated_at",
            ],
            rows,
        )

    def _write_history(self) -> None:
        columns = {
            "shift": (
                CashSession,
                [
                    "id",
                    "tenant_id",
                    "cashier_id",
                    "status",
                    "opening_balance",
                    "opened_at",
                    "closed_at",
                    "closed_by_id",
                    "expected_cash",
                    "actual_cash",
                    "cash_difference",
                    "note",
                ],
            ),
            "sale": (
                Sale,
                [
                    "id",
                    "tenant_id",
                    "session_id",
                    "cashier_id",
                    "customer_id",
                    "receipt_number",
                    "status",
                    "discount_percent",
                    "subtotal",
                    "discount_amount",
                    "tax_amount",
                    "total_amount",
                    "paid_amount",
                    "change_amount",
                    "refunded_amount",
                    "cost_amount",
                    "items_quantity",
                    "loyalty_points",
                    "created_at",
                    "updated_at",
                    "completed_at",
                    "cancelled_at",
                ],
            ),
            "item": (
                SaleItem,
                [
                    "id",
                    "tenant_id",
                    "sale_id",
                    "product_id",
                    "batch_id",
                    "product_name",
                    "product_sku",
                    "unit",
                    "quantity",
                    "unit_price",
                    "discount_percent",
                    "subtotal",
                    "discount_amount",
                    "tax_rate",
                    "tax_amount",
                    "total_amount",
                    "unit_cost",
                    "cost_amount",
                    "created_at",
                    "refunded_quantity",
                    "refunded_amount",
                    "refunded_discount",
                    "refunded_tax",
                    "refunded_cost",
                ],
            ),
            "alloc": (
                SaleItemAllocation,
                ["id", "tenant_id", "item_id", "batch_id", "quantity", "unit_cost", "refunded_quantity"],
            ),
            "payment": (
                Payment,
                [
                    "id",
                    "tenant_id",
                    "sale_id",
                    "payment_method",
                    "amount",
                    "received_amount",
                    "change_amount",
                    "card_last4",
                    "transaction_id",
                    "created_at",
                    "refunded_amount",
                ],
            ),
            "refund": (
                Refund,
                [
                    "id",
                    "tenant_id",
                    "sale_id",
                    "session_id",
                    "user_id",
                    "amount",
                    "discount_amount",
                    "tax_amount",
                    "cost_amount",
                    "items_quantity",
                    "loyalty_points",
                    "is_full",
                    "reason",
                    "created_at",
                ],
            ),
            "refund_item": (
                RefundItem,
                [
                    "id",
                    "tenant_id",
                    "refund_id",
                    "sale_item_id",
                    "quantity",
                    "amount",
                    "discount_amount",
                    "tax_amount",
                    "cost_amount",
                ],
            ),
            "refund_payment": (
                RefundPayment,
                ["id", "tenant_id", "refund_id", "payment_id", "payment_method", "amount"],
            ),
        }
        for name, (model, names) in columns.items():
            self._table(model, names, self._payment_rows() if model is Payment else self.rows[name])

    def _payment_rows(self) -> Iterator[tuple]:
        """Card payments' transaction ids carry the sale's (global) id: known when writing."""
        sale_base = self.bases[Sale]
        for row in self.rows["payment"]:
            if row[3] == CARD:
                yield (*row[:8], f"TXN{row[2] + sale_base:09d}", *row[9:])
            else:
                yield row

    def _write_stock(self, first_day: date) -> None:
        tenant_id, rng = self.tenant.pk, self.rng
        received_at = self._local(first_day, OPEN_HOUR - 2)
        opening = self.texts["opening"]
        # day -> (sales' moment, reason, refunds' moment, reason, reference)
        sale_times: dict[date, tuple] = {}
        movements, balances, batches = [], [], []
        for product in self.products:
            keys = [(b[0], b) for b in product.batches] or [(None, None)]
            on_hand = ZERO_QTY
            events = []  # (moment, order, kind, qty, batch, cost, reason)
            for batch_id, batch in keys:
                # Sales and refunds take the first batch (or the product without batches).
                first_batch = batch is None or batch is product.batches[0]
                sold = product.sold if first_batch else {}
                returned = product.returned if first_batch else {}
                out = sum(sold.values(), ZERO_QTY)
                back = sum(returned.values(), ZERO_QTY)
                left = Decimal(rng.choice(OPENING_STOCK_LEFT))
                receive = out - back + left
                if receive <= 0:
                    receive = left or Decimal(1)
                cost = batch[2] if batch else product.cost
                events.append((received_at, 0, MovementKind.RECEIPT, receive, batch_id, cost, "", opening))
                for day, qty in sold.items():
                    times = sale_times.get(day) or sale_times.setdefault(day, self._day_times(day))
                    events.append((times[0], 1, MovementKind.SALE, -qty, batch_id, cost, times[4], times[1]))
                for day, qty in returned.items():
                    times = sale_times.get(day) or sale_times.setdefault(day, self._day_times(day))
                    events.append((times[2], 2, MovementKind.REFUND, qty, batch_id, cost, times[4], times[3]))
                if batch:
                    batches.append(
                        (
                            batch_id,
                            tenant_id,
                            product.id,
                            batch[3],
                            batch[4],
                            cost,
                            receive - out + back,
                            received_at,
                            received_at,
                        )
                    )
            events.sort(key=lambda e: (e[0], e[1]))
            first = self.ids.take(StockMovement, len(events))
            for n, (moment, _order, kind, qty, batch_id, cost, reference, reason) in enumerate(events):
                on_hand += qty
                movements.append(
                    (
                        first + n,
                        tenant_id,
                        product.id,
                        batch_id,
                        kind,
                        qty,
                        on_hand,
                        cost,
                        reference,
                        reason,
                        None,
                        moment,
                    )
                )
            balances.append((self.ids.take(StockBalance), tenant_id, product.id, on_hand, self.now))
        self._table(
            Batch,
            [
                "id",
                "tenant_id",
                "product_id",
                "batch_number",
                "expiry_date",
                "cost_price",
                "quantity",
                "created_at",
                "updated_at",
            ],
            batches,
        )
        self._table(
            StockMovement,
            [
                "id",
                "tenant_id",
                "product_id",
                "batch_id",
                "kind",
                "quantity",
                "balance_after",
                "unit_cost",
                "reference",
                "reason",
                "user_id",
                "created_at",
            ],
            movements,
        )
        self._table(StockBalance, ["id", "tenant_id", "product_id", "quantity", "updated_at"], balances)

    def _day_times(self, day: date) -> tuple:
        """The ledger's daily movements: sales at closing time, refunds a minute later (today: by now,
        not later, so that what the till sells next comes after them); the day's receipts' prefix as
        their reference."""
        shown = {"date": f"{day:%d.%m.%Y}"}
        return (
            min(self._local(day, CLOSE_HOUR), self.now - timedelta(seconds=1)),
            self.texts["sales"] % shown,
            min(self._local(day, CLOSE_HOUR, 1), self.now),
            self.texts["refunds"] % shown,
            f"{RECEIPT_PREFIX}-{day:%Y%m%d}",
        )


GENERATED_MODELS = [
    DailySales,
    DailyProductSales,
    DailyCustomer,
    Product,
    Customer,
    CashSession,
    Sale,
    SaleItem,
    SaleItemAllocation,
    Payment,
    Refund,
    RefundItem,
    RefundPayment,
    Batch,
    StockMovement,
    StockBalance,
    ReceiptCounter,
]


def _drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the B-tree indexes of `tables` that back no constraint; returns their CREATE statements.

    GIN indexes (customers' trigram search) stay: building one cannot use parallel workers and took
    a third or more of the rebuild (15-24 s of 40-45 s for a million customers), while keeping it
    costs the backend about as much CPU during the load, when it runs beside the Python processes
    instead of after them (GIN's pending list turns the inserts into batched builds)."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND am.amname = 'btree'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def _bases(ids: IdAllocator, counts: dict[type[models.Model], int]) -> dict[type[models.Model], int]:
    """A shop's first global id per model, for the `counts` of local ids it took. Taken in shop
    order, so ids are as dense and in the same order as if the shops were written one by one."""
    return {model: ids.take(model, counts.get(model, 0)) for model in GENERATED_MODELS}


def default_workers(plans: list[TenantPlan]) -> int:
    """Processes that compute shops: one per core for several shops on PostgreSQL (where the rows
    travel as COPY text), if processes can be forked."""
    if connection.vendor != "postgresql" or len(plans) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, len(plans)))


def generate_shops(
    plans: list[TenantPlan], *, seed: int = 42, log=print, fast_load: bool = False, workers: int | None = None
) -> list[dict]:
    """Write every plan's shop in one transaction; returns a summary per shop.

    `fast_load` (PostgreSQL, for benchmark-scale data): secondary indexes of the loaded tables are
    dropped and rebuilt after the load, and foreign-key triggers are skipped
    (`session_replication_role = replica`, superuser only; the generator writes only valid keys).
    Both happen inside the transaction, so a failed load leaves the database as it was.

    `workers` (PostgreSQL; default `default_workers()`): more than one computes the shops in that
    many forked processes, which send COPY text to this one (`_ShopWorkers`); the rows are the same.
    """
    names = NamePool(seed)
    ids = IdAllocator()
    now = timezone.now()
    fast = fast_load and connection.vendor == "postgresql"
    workers = default_workers(plans) if workers is None else workers
    if connection.vendor != "postgresql":
        workers = 1
    with transaction.atomic(), connection.cursor() as cursor:
        recreate: list[str] = []
        if fast:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            try:
                with transaction.atomic():
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError:
                log("not a superuser: foreign keys are checked during the load (slower)")
            recreate = _drop_secondary_indexes(cursor, [m._meta.db_table for m in GENERATED_MODELS])
        # Every query first: from here on the connection belongs to the COPY stream.
        ids.prime(GENERATED_MODELS)
        shops = [ShopGenerator(plan, seed=seed + n, names=names, now=now) for n, plan in enumerate(plans)]
        for shop in shops:
            shop.prepare()
        started = time_module.monotonic()
        if workers > 1:
            summaries = _ShopWorkers(shops, ids=ids, workers=workers, log=log).run()
        else:
            summaries = []
            with copy_in_background():
                for shop in shops:
                    summary = shop.generate()
                    shop.write(_bases(ids, shop.ids.counts()))
                    summaries.append(summary)
                    log(summary)
        log({"shops stored": len(shops), "workers": workers, "seconds": round(time_module.monotonic() - started, 1)})
        for shop, summary in zip(shops, summaries, strict=True):
            shop.describe_groups(summary["loyalty_steps"])
        started = time_module.monotonic()
        for statement in recreate:
            cursor.execute(statement)
        if fast:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            log({"indexes rebuilt": len(recreate), "seconds": round(time_module.monotonic() - started, 1)})
        reset_sequences(GENERATED_MODELS)
    if fast:
        # VACUUM sets the visibility map, so counts and deep pages can use index-only scans at once.
        started = time_module.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        log({"vacuumed": True, "seconds": round(time_module.monotonic() - started, 1)})
    # COPY bypasses the models: cached totals and answers of every tenant start a new version.
    counts.all_changed(list(Tenant.objects.values_list("pk", flat=True)))
    return summaries


# --- shops computed in forked processes ---------------------------------------------------------
class _PipeSink:
    """Where `TableWriter` sends COPY text in a worker: the pipe to the process with the connection.
    The text goes as raw UTF-8 messages (no pickling of the bulk), encoded here, in parallel."""

    def __init__(self, pipe, shop: int):
        self.pipe = pipe
        self.shop = shop

    def send(self, sql: str, chunks: list[str]) -> None:
        self.pipe.send(("copy", self.shop, sql, len(chunks)))
        for chunk in chunks:
            self.pipe.send_bytes(chunk.encode())


def _worker(shops: list[ShopGenerator], pipe) -> None:
    """A forked process: computes shops (`generate`) and writes them (`write`, formatting COPY text
    into the pipe) as the parent commands. It never touches the database connection it inherited,
    and multiprocessing ends it with `os._exit`, so the parent's session is not closed either."""
    index = None
    try:
        while (command := pipe.recv())[0] != "stop":
            action, index, *args = command
            shop = shops[index]
            if action == "generate":
                summary = shop.generate()
                del summary["tenant"]  # the parent has its own
                pipe.send(("generated", index, shop.ids.counts(), summary))
            else:
                with copy_into(_PipeSink(pipe, index)):
                    shop.write(*args)
                pipe.send(("written", index, shop.timings))
                shops[index] = None  # its rows are written: free them
    except BaseException:
        pipe.send(("failed", index, traceback.format_exc()))


class _ShopWorkers:
    """Shops computed by forked worker processes, stored by this one through its `CopyStream`.

    A worker first computes a shop with local ids and reports how many ids of each model it needs;
    the parent takes the blocks in shop order (so ids are what one process would have written) and
    sends them back; the worker then formats the rows as COPY text into its pipe, and the parent
    passes the text on, shop after shop, to the COPY stream. While a shop waits for its bases (the
    shops before it are still being computed) its worker computes the next shops, up to `held`.
    """

    held = 4
    max_waiting_bytes = 1 << 30  # COPY text of later shops kept while an earlier one is written

    def __init__(self, shops: list[ShopGenerator], *, ids: IdAllocator, workers: int, log):
        self.shops, self.ids, self.log = shops, ids, log
        self.workers = workers

    def run(self) -> list[dict]:
        context = multiprocessing.get_context("fork")
        pipes, processes = [], []
        # Fork before the COPY stream starts its thread: a fork copies only the calling thread.
        for n in range(self.workers):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker, args=(self.shops, child_end), name=f"savdo-generate-{n}", daemon=True
            )
            process.start()
            child_end.close()
            pipes.append(parent_end)
            processes.append(process)
        try:
            with copy_in_background() as stream:
                summaries = self._drive(pipes, stream)
            for pipe in pipes:
                pipe.send(("stop",))
            for process in processes:
                process.join()
        finally:
            for process in processes:
                if process.is_alive():
                    process.kill()
                    process.join()
            for pipe in pipes:
                pipe.close()
        return summaries

    def _drive(self, pipes: list, stream: CopyStream) -> list[dict]:
        shops = self.shops
        total = len(shops)
        counts: list[dict | None] = [None] * total
        bases: list[dict | None] = [None] * total
        summaries: list[dict | None] = [None] * total
        written = [False] * total
        waiting: dict[int, list] = defaultdict(list)  # shop -> COPYs that arrived before its turn
        waiting_bytes = 0
        held: dict[int, list[int]] = {n: [] for n in range(len(pipes))}  # computed, not yet written
        busy = [False] * len(pipes)
        next_generate = next_base = next_copy = 0

        def dispatch(worker: int) -> None:
            nonlocal next_generate
            if busy[worker]:
                return
            ready = [index for index in held[worker] if bases[index] is not None]
            if ready and ready[0] != next_copy and waiting_bytes > self.max_waiting_bytes:
                ready = []  # enough text waits for its turn: compute instead, or rest
            if ready:
                pipes[worker].send(("write", ready[0], bases[ready[0]]))
            elif next_generate < total and len(held[worker]) < self.held:
                pipes[worker].send(("generate", next_generate))
                next_generate += 1
            else:
                return
            busy[worker] = True

        for worker in range(len(pipes)):
            dispatch(worker)
        while next_copy < total:
            for pipe in multiprocessing.connection.wait(pipes):
                worker = pipes.index(pipe)
                try:
                    message = pipe.recv()
                except EOFError:
                    raise RuntimeError(f"shop generator process {worker} ended unexpectedly") from None
                kind, index, *args = message
                if kind == "failed":
                    raise RuntimeError(f"generating shop {index} failed:\n{args[0]}")
                if kind == "copy":
                    sql, chunk_count = args
                    chunks = [pipe.recv_bytes() for _ in range(chunk_count)]
                    if index == next_copy:
                        stream.send(sql, chunks)
                    else:
                        waiting[index].append((sql, chunks))
                        waiting_bytes += sum(len(chunk) for chunk in chunks)
                    continue
                busy[worker] = False
                if kind == "generated":
                    counts[index], summary = args
                    summaries[index] = {"tenant": shops[index].tenant, **summary}
                    held[worker].append(index)
                    while next_base < total and counts[next_base] is not None:
                        bases[next_base] = _bases(self.ids, counts[next_base])
                        next_base += 1
                elif kind == "written":
                    summaries[index]["timings"] = args[0]
                    held[worker].remove(index)
                    written[index] = True
                    while next_copy < total and written[next_copy]:
                        self.log(summaries[next_copy])
                        next_copy += 1
                        for sql, chunks in waiting.pop(next_copy, []):
                            waiting_bytes -= sum(len(chunk) for chunk in chunks)
                            stream.send(sql, chunks)
                for other in range(len(pipes)):
                    dispatch(other)
        return summaries
