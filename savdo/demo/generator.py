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
"""

import functools
import random
import time as time_module
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from savdo.accounts.models import User
from savdo.catalog.models import Category, Product
from savdo.core import counts
from savdo.core.money import HUNDRED, ZERO, ZERO_QTY, money, quantity
from savdo.customers.models import Customer, CustomerGroup, _search_text
from savdo.demo.bulk import IdAllocator, TableWriter, reset_sequences
from savdo.demo.names import NamePool, ean13, phone_for, product_catalog
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
SPLIT_PAYMENT_SHARE = 0.05
CUSTOMER_SHARE = 0.7
METHODS = [
    (PaymentMethod.CASH, 0.5),
    (PaymentMethod.CARD, 0.35),
    (PaymentMethod.MOBILE, 0.1),
    (PaymentMethod.TRANSFER, 0.05),
]
GROUPS = [("Обычные покупатели", Decimal("0")), ("Постоянные покупатели", Decimal("5")), ("VIP клиенты", Decimal("15"))]
OPEN_HOUR, CLOSE_HOUR = 9, 21


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


@dataclass
class _Product:
    id: int
    name: str
    sku: str
    unit: str
    price: Decimal
    cost: Decimal
    tax: Decimal
    batches: list[list] = field(default_factory=list)  # [batch_id, remaining, cost]


@functools.cache
def _password_hash(password: str) -> str:
    """One Argon2 hash per password and run: hashing is deliberately slow, shops share logins' password."""
    return make_password(password)


def _pick_method(rng: random.Random) -> str:
    roll = rng.random()
    for method, share in METHODS:
        if roll < share:
            return method
        roll -= share
    return PaymentMethod.CASH


class ShopGenerator:
    """Writes one tenant's history. Call `run()` inside a transaction."""

    def __init__(self, plan: TenantPlan, *, seed: int, names: NamePool, ids: IdAllocator, now: datetime, log):
        self.plan = plan
        self.rng = random.Random(seed)
        self.names = names
        self.ids = ids
        self.now = now
        self.log = log
        self.password_hash = _password_hash(plan.password)
        self.timings: dict[str, float] = {}
        self._mark = time_module.monotonic()

    def _timed(self, phase: str) -> None:
        now = time_module.monotonic()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self._mark
        self._mark = now

    # --- people and catalog -------------------------------------------------------------------
    def _tenant_and_staff(self) -> None:
        plan = self.plan
        self.tenant = Tenant.objects.create(name=plan.name)
        self.zone = ZoneInfo(self.tenant.time_zone)
        owner = User.objects.create(
            username=plan.owner_username,
            first_name="Owner",
            last_name=plan.name[:40],
            password=self.password_hash,
            email=f"{plan.owner_username}@example.com",
        )
        Membership.objects.create(user=owner, tenant=self.tenant, role=Role.OWNER)
        staff = plan.staff or [(f"{plan.owner_username}-cashier", "Kassir", "Bir", Role.CASHIER)]
        self.cashiers = []
        for username, first, last, role in staff:
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                password=self.password_hash,
                email=f"{username}@example.com",
            )
            Membership.objects.create(user=user, tenant=self.tenant, role=role)
            if role == Role.CASHIER:
                self.cashiers.append(user)
        if not self.cashiers:
            self.cashiers.append(owner)
        self.groups = [
            CustomerGroup.objects.create(tenant=self.tenant, name=name, discount_percent=percent, description="")
            for name, percent in GROUPS
        ]

    def _catalog(self) -> None:
        tenant, rng, now = self.tenant, self.rng, self.now
        specs = product_catalog(self.plan.products, rng)
        categories = {}
        for spec in specs:
            if spec["category"] not in categories:
                categories[spec["category"]] = Category.objects.create(tenant=tenant, name=spec["category"])
        first = self.ids.take(Product, len(specs))
        rows, self.products = [], []
        for offset, spec in enumerate(specs):
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
                    categories[spec["category"]].pk,
                    spec["cost_price"],
                    spec["sale_price"],
                    spec["wholesale_price"],
                    spec["tax_rate"],
                    spec["unit"],
                    True,
                    Decimal(rng.choice((5, 10, 20))),
                    now,
                    now,
                )
            )
            product = _Product(
                pid, spec["name"], sku, spec["unit"], spec["sale_price"], spec["cost_price"], spec["tax_rate"]
            )
            product.perishable = spec["perishable"]
            self.products.append(product)
        TableWriter(
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
        ).write(rows)

    # --- the history --------------------------------------------------------------------------
    def _local(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute, second), tzinfo=self.zone).astimezone(UTC)

    def _quantity(self, product: _Product) -> Decimal:
        if product.unit in ("kg", "l", "m", "g", "ml"):
            return quantity(Decimal(self.rng.randrange(250, 3000)) / 1000)
        return Decimal(self.rng.choice((1, 1, 1, 2, 2, 3)))

    def run(self) -> dict:
        plan, rng = self.plan, self.rng
        self._tenant_and_staff()
        self._catalog()
        tenant = self.tenant
        today = timezone.localtime(self.now, self.zone).date()
        first_day = today - timedelta(days=plan.days - 1)
        customer_first_id = self.ids.take(Customer, plan.customers)
        group_of = {}
        discount_of = {}
        for index in range(plan.customers):
            roll = rng.random()
            group = self.groups[2] if roll < 0.03 else self.groups[1] if roll < 0.15 else None
            if group is not None:
                group_of[index] = group.pk
                discount_of[index] = group.discount_percent

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

        writers = {
            "shift": ([], CashSession),
            "sale": ([], Sale),
            "item": ([], SaleItem),
            "alloc": ([], SaleItemAllocation),
            "payment": ([], Payment),
            "refund": ([], Refund),
            "refund_item": ([], RefundItem),
            "refund_payment": ([], RefundPayment),
        }
        stats = defaultdict(lambda: [ZERO, 0, None, ZERO])  # customer index -> total, count, last, points
        self.days_rollup = defaultdict(lambda: defaultdict(lambda: ZERO))  # day -> column -> value
        self.products_rollup = defaultdict(lambda: defaultdict(lambda: ZERO))  # (day, product) -> column -> value
        self.customer_days = set()  # (day, customer id)
        sold = defaultdict(lambda: defaultdict(lambda: ZERO_QTY))  # (product, batch) -> day -> qty
        returned = defaultdict(lambda: defaultdict(lambda: ZERO_QTY))
        receipt_seq = 0
        loyalty = tenant.loyalty_percent
        pending_refunds: list[tuple[int, dict]] = []

        for d in range(plan.days):
            day = first_day + timedelta(days=d)
            count = int(scale * weights[d] * rng.uniform(0.8, 1.2)) + busy_by_day[d]
            if count == 0:
                continue
            cashier = self.cashiers[d % len(self.cashiers)]
            shift_id = self.ids.take(CashSession)
            opened = self._local(day, OPEN_HOUR - 1, 55)
            closing = self._local(day, CLOSE_HOUR, 5)
            is_today = day == today
            seconds = sorted(rng.randrange(0, (CLOSE_HOUR - OPEN_HOUR) * 3600) for _ in range(count))
            busy_left = busy_by_day[d]
            shift_cash = ZERO
            for n, offset in enumerate(seconds):
                moment = self._local(day, OPEN_HOUR) + timedelta(seconds=offset)
                if is_today and moment >= self.now:
                    break
                customer = None
                if busy_left and n % max(1, count // (busy_by_day[d] + 1)) == 0:
                    customer, busy_left = 0, busy_left - 1
                elif plan.customers > 1 and rng.random() < CUSTOMER_SHARE:
                    customer = 1 + int((plan.customers - 1) * rng.random() ** 2)
                receipt_seq += 1
                sale, cash = self._sale(
                    writers,
                    sold,
                    shift_id,
                    cashier.pk,
                    customer,
                    customer_first_id,
                    discount_of,
                    moment,
                    day,
                    receipt_seq,
                    loyalty,
                )
                shift_cash += cash
                if customer is not None:
                    entry = stats[customer]
                    entry[0] += sale["total"]
                    entry[1] += 1
                    entry[2] = moment
                    entry[3] += sale["points"]
                if customer != 0 and rng.random() < REFUND_SHARE:
                    refund_day = min(plan.days - 1, d + rng.choice((0, 0, 1, 2)))
                    pending_refunds.append((refund_day, sale))
            closed = not is_today
            writers["shift"][0].append(
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
        for refund_day, sale in pending_refunds:
            moment = max(sale["moment"], self._local(first_day + timedelta(days=refund_day), CLOSE_HOUR - 1))
            if moment >= self.now:
                moment = sale["moment"] + timedelta(seconds=1)
            self._refund(writers, returned, sale, moment)
            if sale["customer"] is not None:
                entry = stats[sale["customer"]]
                entry[0] -= sale["total"]
                entry[1] -= 1
                entry[3] -= sale["points"]

        self._timed("plan")
        self._write_customers(customer_first_id, group_of, discount_of, stats)
        self._timed("customers")
        self._write_history(writers)
        self._timed("sales")
        self._write_stock(first_day, sold, returned)
        self._timed("stock")
        ReceiptCounter.objects.create(tenant=tenant, last_number=receipt_seq)
        self._write_rollups()
        self._timed("rollups")
        return {
            "tenant": tenant,
            "customers": plan.customers,
            "products": len(self.products),
            "sales": len(writers["sale"][0]),
            "lines": len(writers["item"][0]),
            "refunds": len(writers["refund"][0]),
            "timings": self.timings,
        }

    def _plan_batches(self, first_day: date) -> None:
        for product in self.products:
            if not getattr(product, "perishable", False):
                continue
            for n, (days, cost_factor) in enumerate(((20, Decimal("0.98")), (60, Decimal("1.02")))):
                batch_id = self.ids.take(Batch)
                expiry = first_day + timedelta(days=days * (n + 1) + self.plan.days)
                product.batches.append(
                    [batch_id, None, money(product.cost * cost_factor), f"B{n + 1}-{product.sku}", expiry]
                )

    def _sale(
        self,
        writers,
        sold,
        shift_id,
        cashier_id,
        customer,
        first_customer,
        discount_of,
        moment,
        day,
        receipt_seq,
        loyalty,
    ) -> tuple[dict, Decimal]:
        rng, tenant = self.rng, self.tenant
        sale_id = self.ids.take(Sale)
        discount_pct = discount_of.get(customer, Decimal("0.00")) if customer is not None else Decimal("0.00")
        chosen = set()
        lines = []
        for _ in range(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))):
            product = self.products[int(len(self.products) * rng.random() ** 1.5)]
            if product.id in chosen:
                continue
            chosen.add(product.id)
            qty = self._quantity(product)
            subtotal = money(qty * product.price)
            discount = money(subtotal * discount_pct / HUNDRED)
            total = subtotal - discount
            tax = money(total * product.tax / (HUNDRED + product.tax))
            batch_id, unit_cost = None, product.cost
            if product.batches:
                batch_id, _, unit_cost, *_ = product.batches[0]
            cost = money(qty * unit_cost)
            lines.append((product, qty, subtotal, discount, total, tax, batch_id, cost))
        sale_total = sum((line[4] for line in lines), ZERO)
        points = money(sale_total * loyalty / HUNDRED) if customer is not None else ZERO
        receipt = f"{RECEIPT_PREFIX}-{day:%Y%m%d}-{receipt_seq:06d}"
        customer_id = first_customer + customer if customer is not None else None
        item_first = self.ids.take(SaleItem, len(lines))
        alloc_first = self.ids.take(SaleItemAllocation, len(lines))
        item_rows = []
        for n, (product, qty, subtotal, discount, total, tax, batch_id, cost) in enumerate(lines):
            unit_cost = money(cost / qty)
            item_rows.append(
                (
                    item_first + n,
                    tenant.pk,
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
                )
            )
            writers["alloc"][0].append((alloc_first + n, tenant.pk, item_first + n, batch_id, qty, unit_cost))
            sold[(product.id, batch_id)][day] += qty
        writers["item"][0].extend(item_rows)

        payments = []
        cash_in_till = ZERO
        if rng.random() < SPLIT_PAYMENT_SHARE and sale_total > Decimal("1000"):
            card = money(sale_total * Decimal(rng.choice(("0.3", "0.5", "0.7"))))
            payments = [(PaymentMethod.CASH, sale_total - card), (PaymentMethod.CARD, card)]
        else:
            payments = [(_pick_method(rng), sale_total)]
        payment_rows = []
        first_payment = self.ids.take(Payment, len(payments))
        change_total = ZERO
        for n, (method, amount) in enumerate(payments):
            received, change, last4, txn = ZERO, ZERO, "", ""
            if method == PaymentMethod.CASH:
                received = (amount / 1000).to_integral_value(rounding="ROUND_CEILING") * 1000
                change = received - amount
                cash_in_till += amount
            elif method == PaymentMethod.CARD:
                last4, txn = f"{rng.randrange(10000):04d}", f"TXN{sale_id:09d}"
            change_total += change
            payment_rows.append(
                (first_payment + n, tenant.pk, sale_id, method, amount, received, change, last4, txn, moment)
            )
        writers["payment"][0].extend(payment_rows)
        sale = {
            "id": sale_id,
            "customer": customer,
            "moment": moment,
            "total": sale_total,
            "points": points,
            "lines": [(item_first + n, line) for n, line in enumerate(lines)],
            "payments": payment_rows,
            "discount": sum((line[3] for line in lines), ZERO),
            "tax": sum((line[5] for line in lines), ZERO),
            "cost": sum((line[7] for line in lines), ZERO),
            "qty": sum((line[1] for line in lines), ZERO_QTY),
        }
        sale["row"] = [
            sale_id,
            tenant.pk,
            shift_id,
            cashier_id,
            customer_id,
            receipt,
            SaleStatus.COMPLETED,
            discount_pct,
            sum((line[2] for line in lines), ZERO),
            sale["discount"],
            sale["tax"],
            sale_total,
            sale_total,
            change_total,
            ZERO,
            sale["cost"],
            sale["qty"],
            points,
            moment,
            moment,
            moment,
            None,
        ]
        writers["sale"][0].append(sale["row"])
        self._rollup_sale(day, sale, customer_id)
        return sale, cash_in_till

    def _refund(self, writers, returned, sale: dict, moment: datetime) -> None:
        tenant = self.tenant
        refund_id = self.ids.take(Refund)
        writers["refund"][0].append(
            (
                refund_id,
                tenant.pk,
                sale["id"],
                None,
                self.cashiers[0].pk,
                sale["total"],
                sale["discount"],
                sale["tax"],
                sale["cost"],
                sale["qty"],
                sale["points"],
                True,
                "Generated: customer returned the goods",
                moment,
            )
        )
        first = self.ids.take(RefundItem, len(sale["lines"]))
        for n, (item_id, (product, qty, _sub, discount, total, tax, batch_id, cost)) in enumerate(sale["lines"]):
            writers["refund_item"][0].append(
                (first + n, tenant.pk, refund_id, item_id, qty, total, discount, tax, cost)
            )
            returned[(product.id, batch_id)][timezone.localtime(moment, self.zone).date()] += qty
        first = self.ids.take(RefundPayment, len(sale["payments"]))
        for n, payment in enumerate(sale["payments"]):
            writers["refund_payment"][0].append((first + n, tenant.pk, refund_id, payment[0], payment[3], payment[4]))
        self._rollup_refund(timezone.localtime(moment, self.zone).date(), sale)
        row = sale["row"]
        row[6] = SaleStatus.REFUNDED
        row[14] = sale["total"]  # refunded_amount
        sale["refunded"] = True

    # --- rollups: the same sums `savdo.sales.rollups` keeps (a test compares with rollups_rebuild) ---
    def _rollup_sale(self, day: date, sale: dict, customer_id: int | None) -> None:
        totals = self.days_rollup[day]
        totals["sales_count"] += 1
        totals["sales_amount"] += sale["total"]
        totals["discount_amount"] += sale["discount"]
        totals["tax_amount"] += sale["tax"]
        totals["cost_amount"] += sale["cost"]
        totals["items_sold"] += sale["qty"]
        if customer_id is not None and (day, customer_id) not in self.customer_days:
            self.customer_days.add((day, customer_id))
            totals["unique_customers"] += 1
        for payment in sale["payments"]:
            totals[PAID_COLUMNS[payment[3]]] += payment[4]
        for _item_id, (product, qty, _sub, _discount, total, _tax, _batch, cost) in sale["lines"]:
            row = self.products_rollup[(day, product.id)]
            row["quantity"] += qty
            row["revenue"] += total
            row["cost"] += cost
            row["profit"] += total - cost
        for product_id in {line[0].id for _item, line in sale["lines"]}:
            self.products_rollup[(day, product_id)]["sales_count"] += 1

    def _rollup_refund(self, day: date, sale: dict) -> None:
        totals = self.days_rollup[day]
        totals["refunds_count"] += 1
        totals["refunds_amount"] += sale["total"]
        totals["refunded_discount"] += sale["discount"]
        totals["refunded_tax"] += sale["tax"]
        totals["refunded_cost"] += sale["cost"]
        totals["refunded_items"] += sale["qty"]
        for payment in sale["payments"]:
            totals[REFUNDED_COLUMNS[payment[3]]] += payment[4]
        for _item_id, (product, qty, _sub, _discount, total, _tax, _batch, cost) in sale["lines"]:
            row = self.products_rollup[(day, product.id)]
            row["refunded_quantity"] += qty
            row["refunded_revenue"] += total
            row["refunded_cost"] += cost
            row["profit"] -= total - cost

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
        counts = {"sales_count", "refunds_count", "unique_customers"}

        def value(values, name):
            raw = values.get(name, ZERO)
            return int(raw) if name in counts else raw

        first = self.ids.take(DailySales, len(self.days_rollup))
        TableWriter(DailySales, ["id", "tenant_id", "date", *day_columns]).write(
            (first + n, tenant.pk, day, *(value(values, c) for c in day_columns))
            for n, (day, values) in enumerate(sorted(self.days_rollup.items()))
        )
        first = self.ids.take(DailyProductSales, len(self.products_rollup))
        TableWriter(DailyProductSales, ["id", "tenant_id", "date", "product_id", *product_columns]).write(
            (first + n, tenant.pk, day, pid, *(value(values, c) for c in product_columns))
            for n, ((day, pid), values) in enumerate(sorted(self.products_rollup.items()))
        )
        first = self.ids.take(DailyCustomer, len(self.customer_days))
        TableWriter(DailyCustomer, ["id", "tenant_id", "date", "customer_id"]).write(
            (first + n, tenant.pk, day, customer_id) for n, (day, customer_id) in enumerate(sorted(self.customer_days))
        )

    # --- writing ------------------------------------------------------------------------------
    def _write_customers(self, first_id: int, group_of: dict, discount_of: dict, stats: dict) -> None:
        rng, tenant, now = self.rng, self.tenant, self.now
        rows = []
        for index in range(self.plan.customers):
            person = self.names.person(rng)
            phone = phone_for(index)
            email = f"c{index}.{tenant.pk}@example.uz" if rng.random() < 0.3 else ""
            company = f"{person.last_name} va hamkorlar MChJ" if rng.random() < 0.04 else ""
            digest = _search_text(
                Customer(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    middle_name=person.middle_name,
                    company_name=company,
                    email=email,
                    phone=phone,
                )
            )
            total, count, last, points = stats.get(index, (ZERO, 0, None, ZERO))
            created = now - timedelta(days=self.plan.days + rng.randrange(0, 400), seconds=rng.randrange(86400))
            rows.append(
                (
                    first_id + index,
                    tenant.pk,
                    "company" if company else "individual",
                    person.first_name,
                    person.last_name,
                    person.middle_name,
                    company,
                    phone,
                    email,
                    digest,
                    rng.choice(("Toshkent", "Toshkent", "Samarqand", "Buxoro", "Andijon", "Namangan")),
                    group_of.get(index),
                    total,
                    count,
                    last,
                    points,
                    created,
                    created,
                )
            )
        TableWriter(
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
                "total_purchases",
                "total_purchases_count",
                "last_purchase_at",
                "loyalty_points",
                "created_at",
                "updated_at",
            ],
        ).write(tuple(r) for r in rows)
        # Refunded items and payments carry what was returned.

    def _write_history(self, writers) -> None:
        refunded_sales = {row[2] for row in writers["refund"][0]}
        items = writers["item"][0]
        refunded_items = {row[3] for row in writers["refund_item"][0]}
        columns = {
            "shift": [
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
            "sale": [
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
            "item": [
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
            "alloc": ["id", "tenant_id", "item_id", "batch_id", "quantity", "unit_cost", "refunded_quantity"],
            "payment": [
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
            "refund": [
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
            "refund_item": [
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
            "refund_payment": ["id", "tenant_id", "refund_id", "payment_id", "payment_method", "amount"],
        }

        def item_rows():
            for row in items:
                if row[0] in refunded_items:
                    yield (*row, row[8], row[15], row[12], row[14], row[17])
                else:
                    yield (*row, ZERO_QTY, ZERO, ZERO, ZERO, ZERO)

        def alloc_rows():
            for row in writers["alloc"][0]:
                yield (*row, row[4] if row[2] in refunded_items else ZERO_QTY)

        def payment_rows():
            for row in writers["payment"][0]:
                yield (*row, row[4] if row[2] in refunded_sales else ZERO)

        sources: dict[str, Callable] = {
            "item": item_rows,
            "alloc": alloc_rows,
            "payment": payment_rows,
        }
        for name in ("shift", "sale", "item", "alloc", "payment", "refund", "refund_item", "refund_payment"):
            rows, model = writers[name]
            source = sources[name]() if name in sources else (tuple(r) for r in rows)
            TableWriter(model, columns[name]).write(source)

    def _write_stock(self, first_day: date, sold, returned) -> None:
        tenant, rng = self.tenant, self.rng
        received_at = self._local(first_day, OPEN_HOUR - 2)
        movements, balances, batches = [], [], []
        for product in self.products:
            keys = [(b[0], b) for b in product.batches] or [(None, None)]
            on_hand = ZERO_QTY
            events = []  # (moment, kind, qty, batch)
            for batch_id, batch in keys:
                out = sum(sold[(product.id, batch_id)].values(), ZERO_QTY)
                back = sum(returned[(product.id, batch_id)].values(), ZERO_QTY)
                left = Decimal(rng.choice((0, 3, 8, 25, 60, 120, 200)))
                receive = out - back + left
                if receive <= 0:
                    receive = left or Decimal(1)
                cost = batch[2] if batch else product.cost
                events.append(
                    (received_at, 0, MovementKind.RECEIPT, receive, batch_id, cost, "Generated opening stock")
                )
                for day, qty in sold[(product.id, batch_id)].items():
                    events.append(
                        (
                            self._local(day, CLOSE_HOUR),
                            1,
                            MovementKind.SALE,
                            -qty,
                            batch_id,
                            cost,
                            f"Generated: sales of {day:%Y-%m-%d}",
                        )
                    )
                for day, qty in returned[(product.id, batch_id)].items():
                    events.append(
                        (
                            self._local(day, CLOSE_HOUR, 1),
                            2,
                            MovementKind.REFUND,
                            qty,
                            batch_id,
                            cost,
                            f"Generated: refunds of {day:%Y-%m-%d}",
                        )
                    )
                if batch:
                    batches.append(
                        (
                            batch_id,
                            tenant.pk,
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
            for n, (moment, _order, kind, qty, batch_id, cost, reason) in enumerate(events):
                on_hand += qty
                movements.append(
                    (
                        first + n,
                        tenant.pk,
                        product.id,
                        batch_id,
                        kind,
                        qty,
                        on_hand,
                        cost,
                        "GENERATED",
                        reason,
                        None,
                        moment,
                    )
                )
            balances.append((self.ids.take(StockBalance), tenant.pk, product.id, on_hand, self.now))
        TableWriter(
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
        ).write(batches)
        TableWriter(
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
        ).write(movements)
        TableWriter(StockBalance, ["id", "tenant_id", "product_id", "quantity", "updated_at"]).write(balances)


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
]


def _drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint; returns their CREATE statements."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def generate_shops(plans: list[TenantPlan], *, seed: int = 42, log=print, fast_load: bool = False) -> list[dict]:
    """Write every plan's shop in one transaction; returns a summary per shop.

    `fast_load` (PostgreSQL, for benchmark-scale data): secondary indexes of the loaded tables are
    dropped and rebuilt after the load, and foreign-key triggers are skipped
    (`session_replication_role = replica`, superuser only; the generator writes only valid keys).
    Both happen inside the transaction, so a failed load leaves the database as it was.
    """
    names = NamePool(seed)
    ids = IdAllocator()
    now = timezone.now()
    summaries = []
    fast = fast_load and connection.vendor == "postgresql"
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
        for n, plan in enumerate(plans):
            summary = ShopGenerator(plan, seed=seed + n, names=names, ids=ids, now=now, log=log).run()
            summaries.append(summary)
            log(summary)
        started = time_module.monotonic()
        for statement in recreate:
            cursor.execute(statement)
        if fast:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            log({"indexes rebuilt": len(recreate), "seconds": round(time_module.monotonic() - started, 1)})
        reset_sequences(GENERATED_MODELS)
    if fast:
        # VACUUM sets the visibility map, so counts and deep pages can use index-only scans at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    # COPY bypasses the models: cached totals and answers of every tenant start a new version.
    counts.all_changed(list(Tenant.objects.values_list("pk", flat=True)))
    return summaries
