"""`save_row` writes what `save()` writes, with a statement built once."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from savdo.catalog.models import Product
from savdo.core.fixed import save_row
from savdo.customers.models import Customer
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.customers.factories import CustomerFactory
from tests.sqlcount import work

SKIPPED = {"id", "created_at", "updated_at", "name", "sku", "barcode"}


def _columns(product: Product) -> dict:
    return {f.attname: getattr(product, f.attname) for f in Product._meta.concrete_fields if f.name not in SKIPPED}


@pytest.fixture
def saves():
    """Every pre_save/post_save of a product, as (signal, created, update_fields)."""
    seen = []

    def before(sender, instance, update_fields, **kwargs):
        seen.append(("pre", None, update_fields))

    def after(sender, instance, created, update_fields, **kwargs):
        seen.append(("post", created, update_fields))

    pre_save.connect(before, sender=Product, dispatch_uid="test_fixed_writes_pre")
    post_save.connect(after, sender=Product, dispatch_uid="test_fixed_writes_post")
    yield seen
    pre_save.disconnect(sender=Product, dispatch_uid="test_fixed_writes_pre")
    post_save.disconnect(sender=Product, dispatch_uid="test_fixed_writes_post")


def test_an_insert_stores_what_save_stores_in_one_statement(tenant, saves):
    by_django = ProductFactory.build(tenant=tenant, sale_price=Decimal("12500.50"), description="regular")
    by_django.save()
    ours = ProductFactory.build(tenant=tenant, sale_price=Decimal("12500.50"), description="regular")
    with CaptureQueriesContext(connection) as queries:
        save_row(ours)
    assert len(work(queries.captured_queries)) == 1
    assert ours.pk is not None and ours.pk != by_django.pk
    assert not ours._state.adding and ours._state.db == "default"
    stored = Product.objects.get(pk=ours.pk)
    assert _columns(stored) == _columns(Product.objects.get(pk=by_django.pk))
    assert (stored.name, stored.sku, stored.created_at) == (ours.name, ours.sku, ours.created_at)
    assert stored.created_at is not None and stored.updated_at is not None  # auto_now(_add) applied
    assert saves[-2:] == [("pre", None, None), ("post", True, None)]


def test_an_update_writes_only_the_named_fields(tenant, saves):
    product = ProductFactory(tenant=tenant, description="before")
    was_updated_at = Product.objects.get(pk=product.pk).updated_at
    product.name = "Non"
    product.description = "not written"
    with CaptureQueriesContext(connection) as queries:
        save_row(product, ["name"])
    assert len(work(queries.captured_queries)) == 1
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.description, stored.updated_at) == ("Non", "before", was_updated_at)
    assert saves[-1] == ("post", False, frozenset({"name"}))

    save_row(product, ["description", "updated_at"])  # auto_now moves when named, as with save()
    stored = Product.objects.get(pk=product.pk)
    assert stored.description == "not written" and stored.updated_at > was_updated_at


def test_an_update_without_fields_writes_every_column(tenant):
    product = ProductFactory(tenant=tenant)
    product.name, product.cost_price, product.category_id = "Choy", Decimal("9100.25"), None
    save_row(product)
    stored = Product.objects.get(pk=product.pk)
    assert (stored.name, stored.cost_price) == ("Choy", Decimal("9100.25"))


def test_a_model_with_its_own_save_goes_through_it(tenant):
    customer = CustomerFactory.build(tenant=tenant, last_name="Karimova")
    save_row(customer)  # Customer.save() fills the search text
    assert "karimova" in Customer.objects.get(pk=customer.pk).search_text


def test_an_update_that_finds_no_row_fails_and_writes_nothing(tenant):
    product = ProductFactory(tenant=tenant)
    gone = Product.objects.get(pk=product.pk)
    Product.objects.filter(pk=product.pk).delete()
    gone.name = "Nobody"
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        save_row(gone, ["name"])
    assert not Product.objects.filter(name="Nobody").exists()


def test_unknown_field_names_are_refused(tenant):
    product = ProductFactory(tenant=tenant)
    with pytest.raises(ValueError, match="no columns named"):
        save_row(product, ["name", "nickname"])


def test_a_few_new_rows_are_inserted_in_one_statement_as_bulk_create_inserts_them(tenant):
    by_django = [ProductFactory.build(tenant=tenant, sale_price=Decimal(n) + Decimal("0.25")) for n in range(3)]
    Product.objects.bulk_create(by_django, batch_size=10)  # an option: Django's own bulk_create
    ours = [ProductFactory.build(tenant=tenant, sale_price=Decimal(n) + Decimal("0.25")) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        created = Product.objects.bulk_create(ours)
    assert len(work(queries.captured_queries)) == 1 and "UNNEST" not in work(queries.captured_queries)[0]
    assert created == ours and all(p.pk and not p._state.adding and p._state.db == "default" for p in ours)
    stored = {p.pk: p for p in Product.objects.filter(pk__in=[p.pk for p in ours + by_django])}
    for mine, theirs in zip(ours, by_django, strict=True):
        assert stored[mine.pk].name == mine.name  # ids were read back in the rows' order
        assert _columns(stored[mine.pk]) == _columns(stored[theirs.pk])


def test_many_rows_rows_with_ids_and_unsaved_relations_go_to_django(tenant):
    many = [ProductFactory.build(tenant=tenant) for _ in range(40)]
    Product.objects.bulk_create(many)
    assert Product.objects.filter(tenant=tenant).count() == 40 and all(p.pk for p in many)
    unsaved_category = CategoryFactory.build(tenant=tenant)
    with pytest.raises(ValueError, match="unsaved related object"):
        Product.objects.bulk_create([ProductFactory.build(tenant=tenant, category=unsaved_category)])


def test_an_unsaved_related_row_is_refused_as_save_refuses_it(tenant):
    product = ProductFactory.build(tenant=tenant, category=CategoryFactory.build(tenant=tenant))
    with pytest.raises(ValueError, match="unsaved related object"):
        save_row(product)
    assert product.pk is None
