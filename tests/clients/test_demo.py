"""The demo's clients (savdo/demo/clients.py): tags, segments, managers and company details on the
demo shop's customers, statistics still equal to their sales, idempotent."""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from savdo.customers.models import Customer, CustomerType, Tag
from savdo.demo.clients import DEMO_TAGS, NEW_COMPANIES, load_clients
from savdo.demo.generator import TenantPlan, generate_shops
from savdo.sales.models import Sale
from savdo.tenancy.models import Role
from tests.conftest import client_for


def _shop():
    plan = TenantPlan(
        name="Clients demo shop",
        customers=150,
        products=30,
        sales=400,
        days=20,
        owner_username="clients-owner",
        password="Gen-Savdo-2025",
        busy_customer_purchases=25,
        staff=[("clients-manager", "Dilnoza", "Karimova", Role.MANAGER)],
    )
    (summary,) = generate_shops([plan], seed=11, log=lambda s: None)
    return summary["tenant"]


def test_demo_clients_agree_with_their_sales_and_a_rerun_adds_nothing():
    tenant = _shop()
    added = load_clients(tenant)
    assert added["tags"] == len(DEMO_TAGS)
    assert added["companies"] == len(NEW_COMPANIES)
    assert load_clients(tenant) == {"tags": 0, "clients": 0, "links": 0, "companies": 0}
    assert Tag.objects.filter(tenant=tenant).count() == len(DEMO_TAGS)

    sold = {
        row["customer"]: row
        for row in Sale.objects.filter(tenant=tenant, customer__isnull=False)
        .values("customer")
        .annotate(spent=Sum("total_amount", filter=Q(status="completed")), n=Count("id", filter=Q(status="completed")))
    }
    customers = list(Customer.objects.filter(tenant=tenant).prefetch_related("tags"))
    for customer in customers:
        row = sold.get(customer.pk)
        assert customer.total_purchases == Decimal(row["spent"] or 0 if row else 0).quantize(Decimal("0.01"))
        assert customer.total_purchases_count == (row["n"] if row else 0)
    segments = {c.segment for c in customers}
    assert {"VIP", "regular", "wholesale", "retail"} <= segments
    assert any(c.assigned_to_id for c in customers)
    vips = [c for c in customers if c.segment == "VIP"]
    assert all("VIP" in {t.name for t in c.tags.all()} for c in vips)
    assert min(c.total_purchases for c in vips) >= max(
        c.total_purchases for c in customers if c.segment in ("regular", "retail")
    )
    companies = [c for c in customers if c.customer_type == CustomerType.COMPANY]
    assert len(companies) >= len(NEW_COMPANIES)
    assert all(c.tax_id and c.legal_address and c.contact_person for c in companies)
    assert all(c.updated_at >= c.created_at for c in customers)

    owner = tenant.memberships.get(role=Role.OWNER).user
    api = client_for(owner, tenant)
    stats = api.get("/api/clients/stats").json()
    assert stats["total"] == len(customers)
    assert stats["revenue"]["total"] == float(sum(c.total_purchases for c in customers))
    assert api.get("/api/clients?segment=wholesale&clientType=company").json()["pagination"]["total"] >= 3
