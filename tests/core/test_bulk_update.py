"""`TenantQuerySet.bulk_update` writes exactly what Django's would, in one statement."""

from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savdo.catalog.models import Product
from savdo.core import versions
from savdo.customers.models import Customer
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory
from tests.sqlcount import work

FIELDS = ["name", "description", "sale_price", "cost_price", "is_active", "reorder_level"]


def _values(product: Product) -> tuple:
    product.refresh_from_db()
    return tuple(getattr(product, name) for name in FIELDS)


def test_one_statement_writes_each_row_its_own_values(tenant):
    products = ProductFactory.create_batch(3, tenant=tenant)
    edits = [
        ("Milk 'fresh' \"3.2%\"", "", Decimal("12345.67"), Decimal("0.01"), False, Decimal("0.125")),
        ("Хлеб; DROP TABLE x", "line\nbreak", Decimal("0.00"), Decimal("99999.99"), True, Decimal("7")),
        ("Rice", "\\ back \\ slash", Decimal("1.5"), Decimal("1"), True, Decimal("0")),
    ]
    for product, values in zip(products, edits, strict=True):
        for name, value in zip(FIELDS, values, strict=True):
            setattr(product, name, value)
    with CaptureQueriesContext(connection) as queries:
        matched = Product.objects.filter(tenant=tenant).bulk_update(products, FIELDS)
    assert matched == 3
    assert len(work(queries.captured_queries)) == 1
    for product, values in zip(products, edits, strict=True):
        assert _values(product) == values


def test_the_querysets_filters_still_apply(tenant, other_tenant):
    mine, theirs = ProductFactory(tenant=tenant, name="Mine"), ProductFactory(tenant=other_tenant, name="Theirs")
    mine.name, theirs.name = "Mine 2", "Theirs 2"
    assert Product.objects.filter(tenant=tenant).bulk_update([mine, theirs], ["name"]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.name, theirs.name) == ("Mine 2", "Theirs")


def test_nulls_dates_and_datetimes(tenant):
    customers = CustomerFactory.create_batch(2, tenant=tenant)
    moment = timezone.make_aware(datetime(2026, 3, 1, 10, 30, 15))
    customers[0].last_purchase_at, customers[1].last_purchase_at = moment, None
    customers[0].birthday, customers[1].birthday = date(1990, 5, 17), None
    Customer.objects.filter(tenant=tenant).bulk_update(customers, ["last_purchase_at", "birthday"])
    first, second = (Customer.objects.get(pk=c.pk) for c in customers)
    assert (first.last_purchase_at, first.birthday) == (moment, date(1990, 5, 17))
    assert (second.last_purchase_at, second.birthday) == (None, None)


def test_expressions_and_relations_go_to_djangos_own(tenant):
    product = ProductFactory(tenant=tenant, sale_price=Decimal("10.00"))
    product.sale_price = F("sale_price") + 1
    Product.objects.filter(tenant=tenant).bulk_update([product], ["sale_price"])
    product.refresh_from_db()
    assert product.sale_price == Decimal("11.00")


def test_the_tenants_versions_are_renewed(tenant):
    product = ProductFactory(tenant=tenant)
    key = versions.key("data", "catalog", tenant.pk)
    before = versions.current([key])
    product.name = "Renamed"
    Product.objects.filter(tenant=tenant).bulk_update([product], ["name"])
    assert versions.current([key]) != before
