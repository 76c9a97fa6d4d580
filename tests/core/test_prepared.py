"""Only the till's statements are prepared on PostgreSQL (savdo/core/postgresql/base.py)."""

import pytest
from django.db import connection

from savdo.core.fixed import FixedQuery, save_row
from savdo.core.sql import is_plain_insert
from savdo.customers.models import Customer
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerFactory

postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")

_CUSTOMER = FixedQuery(lambda tenant_id, pk: Customer.objects.filter(tenant_id=tenant_id, pk=pk))


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@postgresql
def test_fixed_reads_and_writes_are_prepared_other_queries_are_not(tenant):
    customer = CustomerFactory(tenant=tenant, last_name="Rashidova")
    product = ProductFactory(tenant=tenant)
    for _ in range(6):  # PostgreSQL's plan cache would go generic after five runs
        assert _CUSTOMER(tenant.pk, customer.pk)[0].pk == customer.pk
        assert list(Customer.objects.filter(tenant=tenant, search_text__icontains="rashid")) == [customer]
        save_row(product, ["name"])
    statements = _prepared_statements()
    assert any(s.startswith('SELECT "customers_customer"."id"') and "$2" in s for s in statements)
    assert any(s.startswith('UPDATE "catalog_product" SET "name" = $1') for s in statements)
    assert not any("LIKE" in s.upper() for s in statements)  # a search is planned for its own term


def test_plain_inserts_are_told_apart_from_inserts_of_a_query():
    assert is_plain_insert('INSERT INTO "t" ("a", "b") VALUES (%s, %s) RETURNING "t"."id"')
    assert is_plain_insert('INSERT INTO "t" ("a") SELECT * FROM UNNEST((%s)::bigint[]) RETURNING "t"."id"')
    assert not is_plain_insert('INSERT INTO "t" ("a") SELECT "u"."a" FROM "u" WHERE "u"."b" = %s')
    assert not is_plain_insert('UPDATE "t" SET "a" = %s')
