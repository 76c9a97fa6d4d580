"""Benchmark context: which tenants, tokens, search terms, products and cashiers the scenarios use.

Runs inside the benchmark process after `django.setup()` with the benchmark's environment.
"""

import json
import urllib.request
from collections import Counter

from django.db import connection
from django.db.models import Count
from rest_framework_simplejwt.tokens import RefreshToken

from savdo.accounts.models import User
from savdo.customers.models import Customer
from savdo.tenancy.models import Membership, Role, Tenant

BIG_TENANT = "Bench big shop"
SMALL_TENANT = "Bench 10k shop"


def bench_database_ready() -> bool:
    return Tenant.objects.filter(name=BIG_TENANT).exists() and Tenant.objects.filter(name=SMALL_TENANT).exists()


def _owner_token(tenant: Tenant) -> str:
    membership = Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user").first()
    return str(RefreshToken.for_user(membership.user).access_token)


def _search_terms(tenant: Tenant) -> dict[str, list[str]]:
    """A selective 5-letter term, a 3-letter term and a term that matches almost everyone."""
    names = list(Customer.objects.for_tenant(tenant).values_list("last_name", flat=True)[:20000])
    prefixes5 = Counter(n[:5] for n in names if len(n) >= 5)
    prefixes3 = Counter(n[:3] for n in names if len(n) >= 3)
    rare5 = [p for p, c in sorted(prefixes5.items(), key=lambda kv: kv[1]) if c >= 1][:5]
    mid3 = [p for p, _ in prefixes3.most_common(40)[20:25]] or [p for p, _ in prefixes3.most_common(5)]
    return {
        "selective 5-letter term": rare5,
        "3-letter term": mid3,
        "term matching almost everyone (+998)": ["+998"],
    }


def _tenant_context(tenant: Tenant) -> dict:
    customers = Customer.objects.for_tenant(tenant)
    total = customers.count()
    page_size = 20
    phones = list(customers.exclude(phone="").order_by("?").values_list("phone", flat=True)[:20])
    return {
        "id": tenant.pk,
        "key": tenant.key,
        "token": _owner_token(tenant),
        "customers": total,
        "deep_page": max(1, (total // page_size) * 9 // 10),
        "search_terms": _search_terms(tenant),
        "phones": phones,
    }


def prepare_context() -> dict:
    from savdo.analytics import jobs
    from savdo.catalog.models import Product
    from savdo.inventory.models import StockBalance
    from savdo.sales.models import DailyProductSales, DailySales, ReceiptCounter, Sale, SaleItem

    big = Tenant.objects.get(name=BIG_TENANT)
    small = Tenant.objects.get(name=SMALL_TENANT)
    # The nightly job a shop runs (README: Analytics): the RFM reports read what it stores. Its first
    # run writes every buying customer's segment; autovacuum would then clean the table (it is off on
    # this machine's PostgreSQL), and the deep pages' index-only scans need the visibility map back.
    # The same for the rows earlier cashier rounds updated (a hot product's balance, the counters).
    jobs.refresh_rfm(tenants=[big, small])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Customer, StockBalance, Sale, SaleItem, ReceiptCounter, DailySales, DailyProductSales):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    context = {"big": _tenant_context(big), "small": _tenant_context(small), "notes": []}
    products = Product.objects.for_tenant(big).filter(is_active=True).exclude(barcode="")
    context["big"]["barcodes"] = list(products.order_by("?").values_list("barcode", flat=True)[:50])
    context["big"]["product_ids"] = list(products.order_by("id").values_list("id", flat=True)[:400])
    busy = (
        Customer.objects.for_tenant(big)
        .order_by("-total_purchases_count")
        .values("id", "total_purchases_count")
        .first()
    )
    context["big"]["busy_customer"] = {"id": busy["id"], "purchases": busy["total_purchases_count"]}
    context["analytics_paths"] = [
        ("/api/analytics/daily-sales/today/", "daily-sales today"),
        ("/api/analytics/daily-sales/period/?start_date={start}&end_date={end}", "daily-sales period, 1 year"),
        ("/api/analytics/daily-sales/trends/?days=90", "trends, 90 days"),
        ("/api/analytics/product-performance/top-products/", "top-products, 30 days"),
        ("/api/analytics/customer-analytics/segments/", "RFM segments"),
    ]
    from datetime import date, timedelta

    end = date.today()
    start = end - timedelta(days=364)
    context["analytics_paths"] = [
        (path.format(start=start.isoformat(), end=end.isoformat()), name) for path, name in context["analytics_paths"]
    ]
    counts = Membership.objects.filter(tenant=big).aggregate(n=Count("id"))
    context["notes"].append(f"Big tenant: {context['big']['customers']} customers, {counts['n']} members.")
    return context


def _post(base: str, path: str, token: str, key: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "X-Tenant-Key": key, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def open_cashier_shifts(base: str, tenant_ctx: dict, count: int, *, hot: bool) -> tuple[list[dict], list[list[int]]]:
    """`count` cashiers of the big tenant, each with an open shift (opened through the API)."""
    tenant = Tenant.objects.get(pk=tenant_ctx["id"])
    cashiers, product_sets = [], []
    ids = tenant_ctx["product_ids"]
    _stock_up(tenant, ids)
    for index in range(count):
        user, _ = User.objects.get_or_create(username=f"bench-cashier-{tenant.pk}-{index}")
        Membership.objects.update_or_create(
            user=user, tenant=tenant, defaults={"role": Role.CASHIER, "is_active": True}
        )
        token = str(RefreshToken.for_user(user).access_token)
        session = _current_or_open_shift(base, token, tenant.key)
        cashiers.append({"token": token, "tenant_key": tenant.key, "session": session})
        if hot:
            product_sets.append([ids[0]])
        else:
            chunk = ids[index::count] or ids
            product_sets.append(chunk[:100])
    return cashiers, product_sets


def _stock_up(tenant: Tenant, product_ids: list[int]) -> None:
    """Enough stock for the cashier rounds (generated shops leave some products at zero on purpose,
    for the out-of-stock alerts); received through the inventory service like any delivery."""
    from decimal import Decimal

    from savdo.catalog.models import Product
    from savdo.inventory.services import stock_receive

    owner = Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user").first().user
    for product in Product.objects.for_tenant(tenant).filter(pk__in=product_ids):
        stock_receive(tenant=tenant, user=owner, product=product, quantity=Decimal(100000), reason="benchmark stock")


def _current_or_open_shift(base: str, token: str, key: str) -> int:
    request = urllib.request.Request(
        base + "/api/sales/sessions/current/", headers={"Authorization": f"Bearer {token}", "X-Tenant-Key": key}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
            data = body.get("data", body)
            if data and data.get("id"):
                return int(data["id"])
    except urllib.error.HTTPError:
        pass
    body = _post(base, "/api/sales/sessions/open/", token, key, {"opening_balance": 0})
    data = body.get("data", body)
    return int(data["id"])
