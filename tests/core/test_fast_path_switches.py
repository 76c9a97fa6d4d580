"""Every fast path can be switched off (docs/architecture.md, "Fast paths"): off, the machinery is
bypassed, and the answers are the ones it gives when on."""

import runpy
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework import serializers as drf_serializers

import savdo.settings
from savdo.api import fastlists
from savdo.api.plain import plain_input
from savdo.api.retail.customers.serializers import RetailCustomerSerializer
from savdo.api.retail.pos.serializers import PosScanItemSerializer, render_sale
from savdo.catalog.models import Category
from savdo.core import batching, fixed
from savdo.core.batching import after_commit_results, batched_atomic, queuing, send_with_commit
from savdo.core.fixed import FixedQuery, add_by_key, insert_rows, read_together, save_row
from savdo.customers.models import Customer
from savdo.inventory.models import StockBalance
from savdo.sales.selectors import sale_list
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory, CustomerGroupFactory
from tests.factories import TenantFactory
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, sell

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode is PostgreSQL's")


def _categories(tenant_id, ids):
    return Category.objects.filter(tenant_id=tenant_id, pk__in=ids).order_by("pk")


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _refuse(*args, **kwargs):
    raise AssertionError("the fast path ran although it is switched off")


# --- SAVDO_FIXED_QUERIES ---------------------------------------------------------------------------


def test_fixed_reads_off_evaluate_the_queryset_and_compile_nothing(tenant, settings, monkeypatch):
    rows = [Category.objects.create(tenant=tenant, name=name) for name in ("Dairy", "Bakery", "Drinks")]
    ids = [row.pk for row in rows[:2]]
    on = FixedQuery(_categories)
    expected = [_fields(row) for row in on(tenant.pk, ids)]
    assert on._plans  # compiled when on

    settings.SAVDO_FIXED_QUERIES = False
    off = FixedQuery(_categories)
    monkeypatch.setattr(FixedQuery, "_statement", _refuse)
    assert [_fields(row) for row in off(tenant.pk, ids)] == expected
    assert off.first(tenant.pk, ids).pk == ids[0]
    together = read_together((off, (tenant.pk, ids)), (on, (tenant.pk, [rows[2].pk])))
    assert [[row.pk for row in found] for found in together] == [ids, [rows[2].pk]]
    assert off._plans == {}


def test_fixed_writes_off_go_through_the_orm(tenant, settings, monkeypatch):
    settings.SAVDO_FIXED_QUERIES = False
    monkeypatch.setattr(fixed, "_write", _refuse)
    category = Category(tenant=tenant, name="Dairy")
    save_row(category)
    assert category.pk is not None and not category._state.adding
    category.name = "Milk"
    save_row(category, ["name"])
    assert Category.objects.get(pk=category.pk).name == "Milk"

    new = [Category(tenant=tenant, name="Bakery"), Category(tenant=tenant, name="Drinks")]
    assert insert_rows(new) is False  # left to Django's bulk_create, which stores them
    created = Category.objects.bulk_create(new)
    assert all(row.pk for row in created)
    assert set(Category.objects.filter(tenant=tenant).values_list("name", flat=True)) == {"Milk", "Bakery", "Drinks"}


@pytest.mark.parametrize("on", [True, False])
def test_additions_by_key_are_the_same_through_the_orm(tenant, settings, monkeypatch, on):
    settings.SAVDO_FIXED_QUERIES = on
    if not on:
        monkeypatch.setattr(fixed, "_write", _refuse)
    milk, bread, water = (ProductFactory(tenant=tenant) for _ in range(3))
    for product in (milk, bread, water):
        receive(product, 10)
    now = timezone.now()
    deltas = {milk.pk: Decimal("-2.500"), bread.pk: Decimal("4")}
    add_by_key(
        StockBalance,
        tenant_id=tenant.pk,
        key="product_id",
        column="quantity",
        deltas=deltas,
        values={"updated_at": now},
    )
    balances = {b.product_id: b for b in StockBalance.objects.filter(tenant=tenant)}
    assert {pk: b.quantity for pk, b in balances.items()} == {
        milk.pk: Decimal("7.500"),
        bread.pk: Decimal("14.000"),
        water.pk: Decimal("10.000"),
    }
    assert balances[milk.pk].updated_at == balances[bread.pk].updated_at == now != balances[water.pk].updated_at


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_fixed_writes_off_inside_a_queuing_block(settings):
    """Django's save() reads the row count, which a queued update has only after the COMMIT: the
    update goes as the ORM's QuerySet.update() instead, and the rows are what the fixed writes store."""
    settings.SAVDO_FIXED_QUERIES = False
    tenant = TenantFactory()
    dairy = Category(tenant=tenant, name="Dairy")
    bakery = Category(tenant=tenant, name="Bakery")
    with batched_atomic():
        save_row(dairy)
        send_with_commit()
        assert queuing()
        dairy.name = "Milk"
        save_row(dairy, ["name"])
        save_row(bakery)  # an insert through save(): its id is read at once (a round trip)
        assert bakery.pk is not None
    stored = dict(Category.objects.filter(tenant=tenant).values_list("pk", "name"))
    assert stored == {dairy.pk: "Milk", bakery.pk: "Bakery"}


@postgresql_only
def test_reads_together_without_savdos_connection_use_psycopgs_pipeline(tenant, monkeypatch):
    """On Django's stock backend (SAVDO_PG_BACKEND=0) the psycopg connection has no `together()`."""

    class StockConnection:
        def __init__(self, raw):
            self._raw = raw

        def __getattr__(self, name):
            if name == "together":
                raise AttributeError(name)
            return getattr(self._raw, name)

    rows = [Category.objects.create(tenant=tenant, name=name) for name in ("Dairy", "Bakery")]
    query = FixedQuery(_categories)
    default = connections["default"]  # not the proxy `connection`: monkeypatch restores the wrapper's own
    default.ensure_connection()
    monkeypatch.setattr(default, "connection", StockConnection(default.connection))
    first, second = read_together((query, (tenant.pk, [rows[0].pk])), (query, (tenant.pk, [rows[1].pk])))
    assert [row.name for row in first + second] == ["Dairy", "Bakery"]


# --- SAVDO_BATCHED_COMMIT --------------------------------------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("on", [True, False])
def test_batched_commit_off_is_a_plain_atomic_block(settings, on):
    settings.SAVDO_BATCHED_COMMIT = on
    tenant = TenantFactory()
    first, second = Category(tenant=tenant, name="Dairy"), Category(tenant=tenant, name="Bakery")
    seen = []
    with batched_atomic():
        save_row(first)
        send_with_commit()
        assert queuing() is on
        assert (batching._local.batch is not None) is on
        save_row(second)
        first.name = "Milk"
        save_row(first, ["name"])
        after_commit_results(lambda: seen.append(second.pk is not None))
        assert seen == ([] if on else [True])  # off: nothing waits for the COMMIT
        assert (second.pk is None) is on
    assert seen == [True]
    stored = dict(Category.objects.filter(tenant=tenant).values_list("pk", "name"))
    assert stored == {first.pk: "Milk", second.pk: "Bakery"}


# --- SAVDO_PLAIN_INPUTS ----------------------------------------------------------------------------


def test_plain_inputs_off_send_a_plain_body_to_the_serializer(tenant, settings):
    product = ProductFactory(tenant=tenant)
    body = {"session": 7, "product": product.pk, "quantity": 2}
    context = {"tenant": tenant}
    plain = plain_input(PosScanItemSerializer, body, context)
    assert plain is not None

    settings.SAVDO_PLAIN_INPUTS = False
    assert plain_input(PosScanItemSerializer, body, context) is None
    serializer = PosScanItemSerializer(data=body, context=context)
    assert serializer.is_valid(), serializer.errors
    validated = serializer.validated_data
    assert (validated["session"], validated["product"].pk, validated["quantity"]) == (
        plain["session"],
        plain["product"].pk,
        plain["quantity"],
    )


# --- SAVDO_FAST_LISTS ------------------------------------------------------------------------------


def test_fast_lists_off_render_as_drf_without_a_plan(tenant, settings, monkeypatch):
    group = CustomerGroupFactory(tenant=tenant)
    CustomerFactory.create_batch(2, tenant=tenant, group=group, discount_percent=Decimal("12.5"))
    CustomerFactory(tenant=tenant)
    rows = list(Customer.objects.filter(tenant=tenant).order_by("pk"))
    context = {"tenant": tenant}
    drf = drf_serializers.ListSerializer(child=RetailCustomerSerializer(context=context), context=context)
    expected = drf.to_representation(rows)
    assert RetailCustomerSerializer(rows, many=True, context=context).data == expected

    settings.SAVDO_FAST_LISTS = False
    monkeypatch.setattr(fastlists, "_plans", {})
    monkeypatch.setattr(fastlists, "_render", _refuse)
    assert RetailCustomerSerializer(rows, many=True, context=context).data == expected
    assert fastlists._plans == {}


def test_fast_lists_off_render_the_tills_sale_with_its_serializer(tenant, cashier, settings, monkeypatch):
    product = ProductFactory(tenant=tenant, sale_price=Decimal("15333.33"))
    receive(product, 10)
    open_shift(cashier.membership)
    sale = sell(cashier.membership, [(product, 2)], customer=make_customer(tenant))
    sale = sale_list(tenant=tenant).get(pk=sale.pk)
    expected = render_sale(sale)

    settings.SAVDO_FAST_LISTS = False
    monkeypatch.setattr(fastlists, "render", _refuse)
    monkeypatch.setattr(fastlists, "_render", _refuse)
    assert render_sale(sale) == expected


# --- every switch: the till's answer -------------------------------------------------------------

SWITCHES = ["SAVDO_FIXED_QUERIES", "SAVDO_BATCHED_COMMIT", "SAVDO_PLAIN_INPUTS", "SAVDO_FAST_LISTS"]


def _sold(membership, products, customer) -> dict:
    sale = sell(membership, [(products[0], 2), (products[1], 1)], customer=customer)
    shown = render_sale(sale_list(tenant=membership.tenant).get(pk=sale.pk))
    lines = [
        {key: line[key] for key in ("product", "quantity", "unit_price", "total_amount")} for line in shown["items"]
    ]
    return {key: shown[key] for key in ("status", "subtotal", "total_amount", "paid_amount")} | {"items": lines}


@pytest.mark.parametrize("switch", SWITCHES)
def test_a_sale_is_the_same_with_each_switch_off(tenant, cashier, settings, switch):
    products = [ProductFactory(tenant=tenant, sale_price=price) for price in (Decimal("10800.00"), Decimal("3333.33"))]
    for product in products:
        receive(product, 10)
    open_shift(cashier.membership)
    customer = make_customer(tenant, discount_percent=Decimal("7.5"))
    on = _sold(cashier.membership, products, customer)
    setattr(settings, switch, False)
    off = _sold(cashier.membership, products, customer)
    assert off == on
    stock = StockBalance.objects.filter(tenant=tenant).order_by("product_id").values_list("quantity", flat=True)
    assert list(stock) == [Decimal("6.000"), Decimal("8.000")]


# --- SAVDO_PG_BACKEND ------------------------------------------------------------------------------


def _settings_with(monkeypatch, **env) -> dict:
    """savdo/settings.py evaluated afresh with this environment (the running settings untouched)."""
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/savdo_probe")
    monkeypatch.setenv("SECRET_KEY", "probe-" + "k" * 50)
    monkeypatch.setenv("SAVDO_ENV", "development")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(savdo.settings.__file__)


def test_pg_backend_off_keeps_djangos_stock_backend(monkeypatch):
    monkeypatch.delenv("SAVDO_PG_BACKEND", raising=False)
    default = _settings_with(monkeypatch)["DATABASES"]["default"]
    assert default["ENGINE"] == "savdo.core.postgresql"
    assert default["OPTIONS"]["server_side_binding"] is True

    off = _settings_with(monkeypatch, SAVDO_PG_BACKEND="0")
    database = off["DATABASES"]["default"]
    # Django's wrapper, with only the data versions written with each COMMIT and its timing
    assert database["ENGINE"] == "savdo.core.postgresql.stock"
    from django.db.backends.postgresql.base import DatabaseWrapper as Stock

    from savdo.core.postgresql.stock.base import DatabaseWrapper

    assert [c for c in DatabaseWrapper.__mro__ if c.__module__.startswith("savdo")] == [
        DatabaseWrapper,
        *DatabaseWrapper.__mro__[1:3],
    ] and DatabaseWrapper.__mro__[3] is Stock
    assert "server_side_binding" not in database.get("OPTIONS", {})  # Django's default: bound by the client
    assert database["CONN_HEALTH_CHECKS"] is True
    # the lost-connection recovery does not depend on the backend
    assert off["MIDDLEWARE"][-1] == "savdo.core.postgresql.recovery.LostConnectionMiddleware"
