"""Row-level security (savdo/core/rls.py): on PostgreSQL a request bound to its tenant cannot read or
write another tenant's rows even through a query that forgets the tenant."""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from savdo.core import rls
from savdo.customers.models import Customer, Tag
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security is PostgreSQL's")


def test_every_tenant_owned_table_is_listed():
    tables = rls.tenant_tables()
    assert "customers_customer" in tables
    assert "sales_sale" in tables
    assert "audit_changelogentry" in tables
    assert "tenancy_membership" not in tables


@postgresql_only
def test_every_tenant_owned_table_has_the_policy():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE p.polname = %s AND c.relrowsecurity",
            [rls.POLICY],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert set(rls.tenant_tables()) <= protected


@postgresql_only
def test_a_query_that_forgets_its_tenant_sees_only_the_bound_tenant(tenant, other_tenant):
    mine = CustomerFactory(tenant=tenant)
    theirs = CustomerFactory(tenant=other_tenant)
    rls.enter(tenant.pk)
    try:
        assert set(Customer.objects.values_list("pk", flat=True)) == {mine.pk}
        assert Customer.objects.filter(pk=theirs.pk).update(notes="x") == 0
    finally:
        rls.leave()
    assert Customer.objects.filter(pk=theirs.pk, notes="").exists()


@postgresql_only
def test_no_tenant_bound_sees_nothing(tenant):
    CustomerFactory(tenant=tenant)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', %s, false)", [rls.app_role()])
        try:
            assert Customer.objects.count() == 0
        finally:
            cursor.execute("SELECT set_config('role', 'none', false)")


@postgresql_only
def test_writing_a_row_into_another_tenant_is_refused(tenant, other_tenant):
    rls.enter(tenant.pk)
    try:
        with pytest.raises(ProgrammingError), transaction.atomic():
            Tag.objects.create(tenant=other_tenant, name="smuggled")
    finally:
        rls.leave()
    assert not Tag.objects.filter(name="smuggled").exists()


@postgresql_only
def test_a_request_is_bound_and_released(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    CustomerFactory(tenant=other_tenant)
    assert owner.client.get("/api/customers/customers/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('savdo.tenant_id', true)")
        user, bound = cursor.fetchone()
    assert user != rls.app_role()
    assert bound in ("", None)
