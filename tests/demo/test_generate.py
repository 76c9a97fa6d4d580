"""The generated shops are what the services would have written: statistics, ledger and rollups agree."""

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum

from savdo.accounts.models import User
from savdo.catalog.models import Category
from savdo.customers.models import Customer, CustomerGroup
from savdo.demo.generator import GENERATED_MODELS, ShopGenerator, TenantPlan, generate_shops
from savdo.demo.management.commands.demo import DEMO_NAME
from savdo.demo.management.commands.generate import BIG_NAME, bench_plans
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.sales.models import Sale
from savdo.sales.rollups import rollup_rows, rollups_rebuild
from savdo.tenancy.models import Membership, Tenant
from tests.conftest import client_for

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes need PostgreSQL")


@pytest.fixture
def shop():
    plan = TenantPlan(
        name="Generated shop",
        customers=120,
        products=40,
        sales=300,
        days=20,
        owner_username="gen-owner",
        password="Gen-Savdo-2025",
        busy_customer_purchases=25,
        with_batches=True,
    )
    (summary,) = generate_shops([plan], seed=7, log=lambda s: None)
    return summary


def test_customer_statistics_equal_their_sales(shop):
    tenant = shop["tenant"]
    rows = (
        Sale.objects.filter(tenant=tenant, status__in=["completed", "refunded"], customer__isnull=False)
        .values("customer")
        .annotate(
            spent=Sum("total_amount", filter=Q(status="completed")),
            n=Count("id", filter=Q(status="completed")),
            points=Sum("loyalty_points", filter=Q(status="completed")),
            last=Max("completed_at"),
        )
    )
    expected = {r["customer"]: r for r in rows}
    assert len(expected) > 10
    for customer in Customer.objects.filter(tenant=tenant):
        row = expected.get(customer.pk)
        assert customer.total_purchases == Decimal(row["spent"] or 0 if row else 0).quantize(Decimal("0.01"))
        assert customer.total_purchases_count == (row["n"] if row else 0)
        assert customer.loyalty_points == Decimal(row["points"] or 0 if row else 0).quantize(Decimal("0.01"))
        assert customer.last_purchase_at == (row["last"] if row else None)
    assert Customer.objects.filter(tenant=tenant).order_by("-total_purchases_count").first().total_purchases_count >= 25


def test_stock_balances_are_the_ledger(shop):
    tenant = shop["tenant"]
    for balance in StockBalance.objects.filter(tenant=tenant):
        movements = list(StockMovement.objects.filter(product=balance.product).values_list("quantity", flat=True))
        assert balance.quantity == sum(movements, Decimal("0")), balance.product_id
        assert balance.quantity >= 0
    for batch in Batch.objects.filter(tenant=tenant):
        movements = StockMovement.objects.filter(batch=batch).values_list("quantity", flat=True)
        assert batch.quantity == sum(movements, Decimal("0"))
        assert batch.quantity >= 0
    assert Batch.objects.filter(tenant=tenant).exists()


def test_rollups_equal_a_rebuild_from_the_sales(shop):
    tenant = shop["tenant"]
    generated = rollup_rows(tenant=tenant)
    assert generated["days"] and generated["products"] and generated["customers"]
    dates = sorted(generated["days"])
    rollups_rebuild(tenant=tenant, date_from=dates[0], date_to=dates[-1])
    assert rollup_rows(tenant=tenant) == generated


def test_receipt_numbers_are_unique_and_refunds_exist(shop):
    tenant = shop["tenant"]
    sales = Sale.objects.filter(tenant=tenant)
    assert sales.values("receipt_number").distinct().count() == sales.count()
    assert shop["refunds"] == sales.filter(status="refunded").count()


def test_generated_customers_are_found_through_the_api(shop):
    tenant = shop["tenant"]
    owner = tenant.memberships.get(role="owner").user
    client = client_for(owner, tenant)
    customer = Customer.objects.filter(tenant=tenant).exclude(last_name="").first()
    response = client.get("/api/customers/customers/", {"search": customer.last_name})
    assert response.status_code == 200
    assert customer.pk in [row["id"] for row in response.json()["results"]]
    response = client.get("/api/customers/customers/search_by_phone/", {"phone": customer.phone})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == customer.pk


def test_demo_is_idempotent():
    call_command("demo", customers=50, products=30, days=5, sales_per_day=10)
    counts = (Tenant.objects.count(), Customer.objects.count(), Sale.objects.count())
    call_command("demo")
    assert (Tenant.objects.count(), Customer.objects.count(), Sale.objects.count()) == counts
    assert Tenant.objects.filter(name=DEMO_NAME).count() == 1


def test_generate_command_distribution():
    plans = bench_plans(tenants=300, customers=1_000_000, products=2000, sales=670_000, days=365)
    assert plans[0].name == BIG_NAME and plans[0].customers == 200_000 and plans[0].busy_customer_purchases == 500
    assert plans[1].customers == 10_000
    assert sum(p.customers for p in plans) == 1_000_000
    assert len(plans) == 300
    call_command("generate", tenants=4, customers=300, sales=400, days=10, products=40)
    assert Customer.objects.count() == 300
    assert Tenant.objects.filter(name=BIG_NAME).exists()


def _plans() -> list[TenantPlan]:
    return [
        TenantPlan(
            name=f"Generated shop {n}",
            customers=customers,
            products=30,
            sales=customers * 2,
            days=15,
            owner_username=f"gen-owner-{n}",
            password="Gen-Savdo-2025",
            busy_customer_purchases=5,
            with_batches=n == 1,
        )
        for n, customers in enumerate((150, 40, 90, 20))
    ]


def _load(workers: int, *, fast_load: bool = True) -> tuple[dict, list[str]]:
    """Generate `_plans()` at a fixed clock, read every generated row back, and undo it all, with
    the ORM's sequences too, so that the next load gets the same ids."""
    moment = datetime(2025, 5, 20, 10, 30, 15, 123456, tzinfo=UTC)
    _reset_sequences()
    with transaction.atomic():
        with mock.patch("django.utils.timezone.now", return_value=moment):
            summaries = generate_shops(_plans(), seed=3, log=lambda s: None, fast_load=fast_load, workers=workers)
        rows = {m._meta.label: list(m.objects.order_by("pk").values_list()) for m in GENERATED_MODELS}
        transaction.set_rollback(True)
    return rows, [s["tenant"].name for s in summaries]


def _reset_sequences() -> None:
    """Sequences outlive rollbacks: set the ORM-created rows' ones back to the table's last id."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Tenant, User, Membership, CustomerGroup, Category]):
            cursor.execute(sql)


@postgresql_only
def test_worker_processes_write_what_one_process_writes():
    one, names = _load(1, fast_load=False)
    two, names_two = _load(2)
    three, _names = _load(3, fast_load=False)
    assert names == names_two == [p.name for p in _plans()]
    assert all(one[label] for label in one if label != "inventory.Batch") and one["inventory.Batch"]
    assert one == two == three


@postgresql_only
def test_shops_ids_are_dense_and_in_shop_order():
    generate_shops(_plans(), seed=3, log=lambda s: None, workers=2)
    tenants = list(Tenant.objects.filter(name__startswith="Generated shop").order_by("pk"))
    for model in (Customer, Sale):
        blocks = [sorted(model.objects.filter(tenant=t).values_list("pk", flat=True)) for t in tenants]
        assert all(block == list(range(block[0], block[0] + len(block))) for block in blocks)
        assert all(a[-1] + 1 == b[0] for a, b in itertools.pairwise(blocks))


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=postgresql_only)])
def test_a_failing_shop_leaves_the_database_as_it_was(workers):
    before = (Tenant.objects.count(), Customer.objects.count(), Sale.objects.count(), User.objects.count())
    write_stock = ShopGenerator._write_stock

    def broken(self, first_day):
        if self.plan.name == "Generated shop 2":
            raise ValueError("no stock today")
        return write_stock(self, first_day)

    with mock.patch.object(ShopGenerator, "_write_stock", broken), pytest.raises((ValueError, RuntimeError)) as error:
        generate_shops(_plans(), seed=3, log=lambda s: None, fast_load=True, workers=workers)
    assert "no stock today" in str(error.value)
    assert (Tenant.objects.count(), Customer.objects.count(), Sale.objects.count(), User.objects.count()) == before
