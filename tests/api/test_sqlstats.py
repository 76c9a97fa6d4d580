"""The benchmark's per-request SQL statistics (`X-Savdo-SQL: queries;milliseconds`)."""

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from savdo.api.sqlstats import SqlStatsMiddleware
from savdo.catalog.models import Category
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_statements_and_commits_are_counted_and_the_observer_removed():
    tenant = TenantFactory()
    seen = {}

    def view(request):
        with transaction.atomic():
            Category.objects.create(tenant=tenant, name="Dairy")
            Category.objects.filter(tenant=tenant).update(name="Milk")
        seen["observers"] = len(getattr(connection, "commit_observers", ()))
        return HttpResponse("ok")

    response = SqlStatsMiddleware(view)(RequestFactory().get("/"))
    queries, milliseconds = response["X-Savdo-SQL"].split(";")
    assert int(queries) >= 2 and float(milliseconds) > 0  # SQLite adds its BEGIN IMMEDIATE
    if connection.vendor == "postgresql":  # its COMMIT's time is counted too (savdo.core.batching)
        assert seen["observers"] == 1
        assert connection.commit_observers == ()
