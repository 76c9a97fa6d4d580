"""`Literal` puts a plain word into the statement's text."""

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.db.models.lookups import Exact
from django.test.utils import CaptureQueriesContext

from savdo.core.sql import Literal
from savdo.sales.choices import SaleStatus
from savdo.sales.lock_objects import pending_sale_for_update
from savdo.sales.models import Sale


def test_a_literal_is_written_into_the_statement(tenant):
    pending = Sale.objects.filter(Exact(F("status"), Literal(SaleStatus.PENDING)), tenant=tenant)
    sql, params = pending.query.sql_with_params()
    assert "'pending'" in sql and "pending" not in params
    assert list(pending) == []
    for odd in ("Pending", "a'b", "", 5):
        with pytest.raises(ValueError):
            Literal(odd)


def test_the_pending_sale_lock_names_its_status_in_the_text(tenant):
    """The one-pending-sale-per-shift index serves a prepared statement only if it says 'pending'."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert pending_sale_for_update(tenant_id=tenant.pk, session_id=1) is None
    assert "'pending'" in queries[-1]["sql"]
