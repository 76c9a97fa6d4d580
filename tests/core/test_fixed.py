"""`FixedQuery` returns what its queryset returns, compiled once."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from savdo.core.fixed import FixedQuery
from savdo.customers.models import Customer
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory, CustomerGroupFactory


def _customers(tenant_id, group_id):
    return (
        Customer.objects.filter(tenant_id=tenant_id, group_id=group_id)
        .select_related("group")
        .annotate(label=Concat(F("first_name"), Value(" "), F("last_name")), doubled=F("discount_percent") * 2)
        .order_by("-id")
    )


CUSTOMERS = FixedQuery(_customers)


def _fields(customer: Customer) -> dict:
    values = {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields}
    return {**values, "label": customer.label, "doubled": customer.doubled}


def test_rows_related_objects_annotations_and_types_match_the_queryset(tenant, other_tenant):
    group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("7.50"))
    CustomerFactory.create_batch(3, tenant=tenant, group=group, discount_percent=Decimal("2.25"))
    CustomerFactory(tenant=tenant)  # no group: not selected
    CustomerFactory(tenant=other_tenant, group=CustomerGroupFactory(tenant=other_tenant))

    expected = list(_customers(tenant.pk, group.pk))
    with CaptureQueriesContext(connection) as queries:
        rows = CUSTOMERS(tenant.pk, group.pk)
    assert len(queries) == 1
    assert [_fields(c) for c in rows] == [_fields(c) for c in expected]
    assert all(type(c.doubled) is Decimal and type(c.created_at) is type(expected[0].created_at) for c in rows)
    with CaptureQueriesContext(connection) as queries:
        assert [c.group.discount_percent for c in rows] == [Decimal("7.50")] * 3
    assert len(queries) == 0  # the group came with the row
    assert all(not c._state.adding and c._state.db == "default" for c in rows)


def test_each_call_runs_with_its_own_arguments(tenant, other_tenant):
    mine = CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant))
    theirs = CustomerFactory(tenant=other_tenant, group=CustomerGroupFactory(tenant=other_tenant))
    assert [c.pk for c in CUSTOMERS(tenant.pk, mine.group_id)] == [mine.pk]
    assert [c.pk for c in CUSTOMERS(other_tenant.pk, theirs.group_id)] == [theirs.pk]
    assert CUSTOMERS(tenant.pk, theirs.group_id) == []  # arguments are not swapped or mixed up
    assert CUSTOMERS(other_tenant.pk, mine.group_id) == []


def test_an_argument_used_twice_lands_in_both_places(tenant):
    products = ProductFactory.create_batch(2, tenant=tenant)
    both = FixedQuery(lambda pk: type(products[0]).objects.filter(pk=pk).exclude(pk__gt=pk))
    assert [p.pk for p in both(products[1].pk)] == [products[1].pk]


def test_locking_reads_compile_inside_a_transaction(tenant):
    product = ProductFactory(tenant=tenant)
    locked = FixedQuery(lambda pk: type(product).objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert [p.name for p in locked(product.pk)] == [product.name]


def test_only_integer_arguments_and_model_rows(tenant):
    with pytest.raises(TypeError):
        CUSTOMERS(tenant.pk, "1")
    with pytest.raises(TypeError):
        CUSTOMERS(tenant.pk, True)
    with pytest.raises(ValueError):
        FixedQuery(lambda pk: Customer.objects.filter(pk=pk).values("id"))(1)
    with pytest.raises(ValueError):
        FixedQuery(lambda pk: Customer.objects.filter(pk=pk).prefetch_related("tags"))(1)
    with pytest.raises(ValueError):  # an argument that never reaches the SQL
        FixedQuery(lambda pk: Customer.objects.filter(tenant_id=tenant.pk))(1)


def test_list_arguments_get_a_plan_per_length(tenant, other_tenant, django_assert_num_queries):
    products = ProductFactory.create_batch(40, tenant=tenant)
    theirs = ProductFactory(tenant=other_tenant)
    by_ids = FixedQuery(
        lambda tenant_id, ids: type(theirs).objects.filter(tenant_id=tenant_id, pk__in=ids).order_by("-pk")
    )
    ids = [p.pk for p in products]
    for chosen in (ids[:1], ids[:3], [ids[5], theirs.pk, ids[2]], ids[:32], ids, ids[:3]):
        expected = sorted((pk for pk in chosen if pk != theirs.pk), reverse=True)
        with django_assert_num_queries(1):
            assert [p.pk for p in by_ids(tenant.pk, chosen)] == expected
    with django_assert_num_queries(0):
        assert by_ids(tenant.pk, []) == []
    with pytest.raises(TypeError):
        by_ids(tenant.pk, [ids[0], True])


def test_reads_together_return_what_each_call_returns(tenant, other_tenant):
    """`read_together`: one round trip on PostgreSQL (tests/core/test_pg_round_trips.py), calls one
    after the other elsewhere; the same rows either way, a list too long for a plan included."""
    from savdo.core.fixed import MAX_LIST, read_together

    group = CustomerGroupFactory(tenant=tenant)
    CustomerFactory.create_batch(2, tenant=tenant, group=group)
    by_ids = FixedQuery(lambda ids: Customer.objects.filter(pk__in=ids).order_by("pk"))
    ids = list(Customer.objects.filter(tenant=tenant).values_list("pk", flat=True))
    too_long = ids + list(range(10**9, 10**9 + MAX_LIST))
    with CaptureQueriesContext(connection) as queries:
        groups, few, many = read_together((CUSTOMERS, (tenant.pk, group.pk)), (by_ids, (ids,)), (by_ids, (too_long,)))
    assert len(queries) == 3
    assert [_fields(c) for c in groups] == [_fields(c) for c in _customers(tenant.pk, group.pk)]
    assert [c.pk for c in few] == [c.pk for c in many] == sorted(ids)
    assert read_together((CUSTOMERS, (other_tenant.pk, group.pk))) == [[]]
