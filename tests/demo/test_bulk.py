"""`TableWriter`: what it writes reads back unchanged (COPY text escaping on PostgreSQL), with local
ids moved up by their bases, and a failed COPY in the background stream fails the caller."""

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from savdo.catalog.models import Category
from savdo.demo.bulk import IdAllocator, TableWriter, copy_in_background
from savdo.sales.choices import ShiftStatus
from savdo.sales.models import CashSession
from tests.factories import TenantFactory, UserFactory

AWKWARD = ["tab\there", "new\nline", "back\\slash", "cr\rhere", "\\N", "Ольга Смирнова", "nbsp\xa0x", "vt\x0bx", ""]


def test_text_reads_back_unchanged_and_ids_are_moved_by_their_base():
    tenant = TenantFactory()
    base = IdAllocator().take(Category, 0) + 1000
    rows = [(n, tenant.pk, name, n - 1 if n else None) for n, name in enumerate(AWKWARD)]
    TableWriter(Category, ["id", "tenant_id", "name", "parent_id"], bases={Category: base}).write(rows)
    stored = list(Category.objects.filter(tenant=tenant).order_by("pk").values_list("pk", "name", "parent_id"))
    expected = [(base + n, name, base + n - 1 if n else None) for n, name in enumerate(AWKWARD)]
    assert stored == expected
    assert all(category.is_active and category.description == "" for category in Category.objects.filter(tenant=tenant))


def test_choices_timestamps_and_nulls_in_the_background_stream():
    tenant, cashier = TenantFactory(), UserFactory()
    first = IdAllocator().take(CashSession, 2)
    opened = datetime(2025, 3, 1, 4, 5, 6, 789, tzinfo=UTC)
    columns = ["id", "tenant_id", "cashier_id", "status", "opened_at", "closed_at", "expected_cash"]
    rows = [
        (first, tenant.pk, cashier.pk, ShiftStatus.CLOSED, opened, opened, 10),
        (first + 1, tenant.pk, cashier.pk, ShiftStatus.OPEN, opened, None, None),
    ]
    with transaction.atomic(), copy_in_background():
        TableWriter(CashSession, columns).write(rows)
    stored = list(CashSession.objects.order_by("pk").values_list("status", "opened_at", "closed_at", "expected_cash"))
    assert stored == [("closed", opened, opened, 10), ("open", opened, None, None)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the background COPY stream is PostgreSQL's")
def test_a_failed_background_copy_fails_the_caller_and_rolls_back():
    tenant = TenantFactory()
    first = IdAllocator().take(Category, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), copy_in_background():
        TableWriter(Category, ["id", "tenant_id", "name"]).write([(first, tenant.pk, "one")])
        TableWriter(Category, ["id", "tenant_id", "name"]).write([(first, tenant.pk, "same id")])
    assert not Category.objects.filter(tenant=tenant).exists()  # and the connection still answers
