"""Search uses indexes on PostgreSQL: trigram GIN for substring search, B-tree for the exact phone.

Benchmark note (PostgreSQL 15, 20 000 customers in two tenants, after ANALYZE), from this test:

    ?search=иван12
      Bitmap Heap Scan on customers_customer
        Recheck Cond: (search_text ~~ '%иван12%'::text)
        Filter: (tenant_id = 1)
        ->  Bitmap Index Scan on customer_search_trgm
              Index Cond: (search_text ~~ '%иван12%'::text)
    ?search=+998 90 000 12
      Bitmap Heap Scan on customers_customer
        ->  BitmapAnd
              ->  Bitmap Index Scan on customers_customer_tenant_id_...
              ->  Bitmap Index Scan on customer_search_trgm
                    Index Cond: (search_text ~~ '%9989000012%'::text)
    search_by_phone
      Index Scan using customer_tenant_phone_uniq on customers_customer
        Index Cond: ((tenant_id = 1) AND ((phone)::text = '+998900001235'::text))

On SQLite the trigram migration does nothing and search scans the tenant's rows (still correct,
case-insensitive for every script because it matches the case-folded `search_text`).
"""

import pytest
from django.db import connection

from savdo.customers import selectors
from savdo.customers.models import Customer
from tests.factories import TenantFactory

ROWS = 20_000
NAMES = ["Ali", "Vali", "Anvar", "Bobur", "Dilnoza", "Madina", "Zafar", "Иван", "Пётр", "Мария", "Анна"]


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for name, info in connection.introspection.get_constraints(cursor, Customer._meta.db_table).items()
            if info["index"]
        }


@pytest.fixture
def many_customers(tenant):
    other = TenantFactory()
    Customer.objects.bulk_create(
        [
            Customer(
                tenant=tenant if n % 2 else other,
                first_name=f"{NAMES[n % len(NAMES)]}{n}",
                last_name=f"{NAMES[(n * 7) % len(NAMES)]}ov",
                phone=f"+99890{n:07d}",
                email=f"c{n}@example.com",
            )
            for n in range(ROWS)
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # New GIN entries wait in the index's pending list until a vacuum merges them, and the
            # planner prices a scan of that list: rows that earlier tests inserted and rolled back
            # are still there, so on a busy test database the trigram path looked five times dearer
            # than the tenant index. Autovacuum merges the list on a live database; here it is
            # merged by hand so the plan does not depend on what ran before.
            cursor.execute("SELECT gin_clean_pending_list('customer_search_trgm'::regclass)")
        cursor.execute(f"ANALYZE {Customer._meta.db_table}")
    return tenant


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_search_uses_the_trigram_index_and_the_phone_btree(many_customers):
    tenant = many_customers
    # A run of phone digits that half the store shares ("99890000...") is as cheap through the tenant
    # index as through the trigram one, and the planner picks either from ANALYZE's sample: for it
    # only the full scan is ruled out.
    for term, hits, trigram in (("иван12", None, True), ("+998 90 000 12", None, False), ("c1235@ex", 1, True)):
        queryset = selectors.customer_search(selectors.customer_list(tenant=tenant), term)
        plan = queryset.explain()
        assert not trigram or "customer_search_trgm" in plan, (term, plan)
        assert "Seq Scan on customers_customer " not in plan, (term, plan)
        if hits is not None:
            assert queryset.count() == hits

    # The exact phone lookup of search_by_phone (same data: building it twice costs seconds).
    plan = Customer.objects.for_tenant(tenant).filter(phone="+998900001235").explain()

    assert "customer_tenant_phone_uniq" in plan, plan
    assert selectors.customer_by_phone(tenant=tenant, phone="+998900001235").phone == "+998900001235"


def test_the_trigram_index_exists_only_on_postgresql():
    if connection.vendor == "postgresql":
        assert "customer_search_trgm" in _index_names()
    else:
        assert "customer_search_trgm" not in _index_names()
    assert {"customer_tenant_phone_uniq", "customer_tenant_email_uniq"} <= _index_names()
