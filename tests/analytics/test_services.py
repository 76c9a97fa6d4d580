"""Stored analytics: `savdo refresh-rfm` (segments on the customers) and `savdo snapshot-stock`."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from savdo.analytics import jobs, services
from savdo.analytics.models import StockSnapshot
from savdo.customers.models import Customer
from savdo.tenancy.models import Role
from tests.analytics import recompute
from tests.analytics.shop import NOON, days_ago
from tests.conftest import Member

TODAY = NOON.date()


# --- RFM on the customer ---------------------------------------------------------------------------


def test_refresh_rfm_stores_each_customers_segment(tenant, clock, shop, other_shop):
    stale = shop.customers[10]  # bought only before the RFM year
    Customer.objects.filter(pk=stale.pk).update(rfm_segment="Champions")
    done = services.customer_rfm_refresh(tenant=tenant)

    expected = recompute.rfm(tenant, TODAY - timedelta(days=364), TODAY)
    stored = dict(Customer.objects.filter(tenant=tenant).values_list("pk", "rfm_segment"))
    assert {cid: seg for cid, seg in stored.items() if seg} == {cid: row["segment"] for cid, row in expected.items()}
    assert stored[stale.pk] == ""
    assert stored[shop.customers[11].pk] == ""  # their only sale was refunded in full
    assert done.cleared == 1
    assert sum(done.segments.values()) == len(expected) == 10
    # The other tenant's customers are left alone.
    assert Customer.objects.filter(tenant=other_shop.tenant).exclude(rfm_segment="").count() == 0


def test_refresh_rfm_writes_only_what_changed(tenant, clock, shop):
    first = services.customer_rfm_refresh(tenant=tenant)
    assert first.changed == 10
    again = services.customer_rfm_refresh(tenant=tenant)
    assert (again.changed, again.cleared) == (0, 0)
    assert again.segments == first.segments
    Customer.objects.filter(pk=shop.customers[0].pk).update(rfm_segment="Lost")
    assert services.customer_rfm_refresh(tenant=tenant).changed == 1
    assert Customer.objects.get(pk=shop.customers[0].pk).rfm_segment == "Champions"


def test_refresh_rfm_follows_new_sales(tenant, clock, shop):
    services.customer_rfm_refresh(tenant=tenant)
    lost = Customer.objects.get(pk=shop.customers[9].pk)
    assert lost.rfm_segment == "Lost"
    for ago in (3, 2, 1, 0):
        shop.sell([("cheese", "2.000")], at=days_ago(ago, 16), customer=lost)
    services.customer_rfm_refresh(tenant=tenant)
    lost.refresh_from_db()
    assert lost.rfm_segment == "Champions"


def test_refresh_rfm_command(tenant, other_tenant, clock, shop, other_shop):
    out = StringIO()
    call_command("refresh-rfm", stdout=out)
    text = out.getvalue()
    assert f"tenant {tenant.pk}: Champions: 1" in text
    assert f"tenant {other_tenant.pk}:" in text
    assert Customer.objects.filter(tenant=other_tenant).exclude(rfm_segment="").count() == 1

    Customer.objects.update(rfm_segment="")
    call_command("refresh-rfm", tenant=tenant.key, stdout=StringIO())
    assert Customer.objects.filter(tenant=tenant).exclude(rfm_segment="").count() == 10
    assert Customer.objects.filter(tenant=other_tenant).exclude(rfm_segment="").count() == 0
    with pytest.raises(CommandError):
        call_command("refresh-rfm", tenant="no-such-tenant")


def test_jobs_skip_inactive_tenants(tenant, other_tenant, clock, shop, other_shop):
    other_tenant.is_active = False
    other_tenant.save(update_fields=["is_active"])
    assert set(jobs.refresh_rfm().done) == {tenant.pk}
    assert set(jobs.snapshot_stock().done) == {tenant.pk}


def test_a_failing_tenant_does_not_stop_the_others(tenant, other_tenant, clock, shop, other_shop, monkeypatch):
    real = services.stock_snapshot_take

    def flaky(*, tenant):
        if tenant.pk == other_tenant.pk:
            raise RuntimeError("disk full")
        return real(tenant=tenant)

    monkeypatch.setattr(services, "stock_snapshot_take", flaky)
    run = jobs.snapshot_stock()
    assert run.failed == [other_tenant.pk]
    assert run.done == {tenant.pk: 7}
    with pytest.raises(CommandError, match=f"failed for tenants {other_tenant.pk}"):
        call_command("snapshot-stock", stdout=StringIO())
    assert StockSnapshot.objects.filter(tenant=tenant).count() == 7
    assert not StockSnapshot.objects.filter(tenant=other_tenant).exists()


# --- stock snapshots -----------------------------------------------------------------------------------


def test_snapshot_stores_the_stock_of_today(tenant, clock, shop):
    written = services.stock_snapshot_take(tenant=tenant)
    rows = {row.product_id: row for row in StockSnapshot.objects.filter(tenant=tenant, date=TODAY)}
    assert written == len(rows) == 7
    for key, product in shop.products.items():
        expected = recompute.stock(tenant, product, TODAY)
        row = rows[product.pk]
        assert f"{row.quantity_on_hand:.3f}" == expected["quantity_on_hand"], key
        assert f"{row.reserved_quantity:.3f}" == expected["reserved_quantity"], key
        assert f"{row.available_quantity:.3f}" == expected["available_quantity"], key
        assert f"{row.avg_daily_sales:.3f}" == expected["avg_daily_sales"], key
        assert (None if row.days_of_stock is None else float(row.days_of_stock)) == expected["days_of_stock"], key
        assert row.is_low_stock == expected["is_low_stock"], key
        assert row.reorder_level == product.reorder_level


def test_snapshot_again_the_same_day_replaces_it(tenant, clock, shop):
    services.stock_snapshot_take(tenant=tenant)
    shop.sell([("juice", 4)], at=NOON + timedelta(minutes=5))
    clock.set(NOON + timedelta(minutes=10))
    services.stock_snapshot_take(tenant=tenant)
    rows = StockSnapshot.objects.filter(tenant=tenant, date=TODAY)
    assert rows.count() == 7
    assert rows.get(product=shop.products["juice"]).quantity_on_hand == Decimal("46.000")


def test_past_snapshots_are_read_by_date(tenant, clock, shop):
    client = Member(tenant, Role.MANAGER).client
    clock.set(NOON - timedelta(days=2))
    call_command("snapshot-stock", tenant=str(tenant.pk), stdout=StringIO())
    clock.set(NOON)
    shop.sell([("juice", 5)], at=NOON)
    call_command("snapshot-stock", tenant=str(tenant.pk), stdout=StringIO())

    past = client.get("/api/analytics/inventory-snapshots/?date=2025-01-15").json()
    today = client.get("/api/analytics/inventory-snapshots/?date=2025-01-17").json()
    latest = client.get("/api/analytics/inventory-snapshots/").json()
    assert past["date"] == "2025-01-15" and today["date"] == latest["date"] == "2025-01-17"
    assert latest == today

    def juice(body):
        return next(line for line in body["products"] if line["product"]["sku"] == "JUICE")

    assert juice(past)["quantity_on_hand"] == "50.000"
    assert juice(today)["quantity_on_hand"] == "45.000"
    assert client.get("/api/analytics/inventory-snapshots/?date=2025-01-16").status_code == 404


def test_snapshot_command_output(tenant, clock, shop):
    out = StringIO()
    call_command("snapshot-stock", tenant=tenant.key, stdout=out)
    assert out.getvalue().strip() == f"tenant {tenant.pk}: 7 products."
    with pytest.raises(CommandError):
        call_command("snapshot-stock", tenant="999999")
