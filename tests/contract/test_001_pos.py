"""Document 001 §2 (products) and §3 (sales / cashier): every documented request, with the status code
and body shape it answers. Bodies are the document's own examples."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from savdo.sales.models import Sale
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.inventory.factories import receive

D = Decimal
PAGE_KEYS = {"count", "next", "previous", "results"}
PRODUCT_KEYS = {
    "id",
    "name",
    "sku",
    "barcode",
    "description",
    "category",
    "category_name",
    "cost_price",
    "sale_price",
    "wholesale_price",
    "tax_rate",
    "unit",
    "is_active",
    "reorder_level",
    "stock_quantity",
    "is_low_stock",
    "created_at",
    "updated_at",
}
SALE_KEYS = {
    "id",
    "receipt_number",
    "status",
    "session",
    "cashier",
    "cashier_name",
    "customer",
    "customer_name",
    "customer_phone",
    "discount_percent",
    "subtotal",
    "discount_amount",
    "tax_amount",
    "total_amount",
    "paid_amount",
    "change_amount",
    "refunded_amount",
    "loyalty_points",
    "items_quantity",
    "items",
    "payments",
    "refunds",
    "created_at",
    "completed_at",
    "cancelled_at",
}
SESSION_KEYS = {
    "id",
    "cashier",
    "cashier_name",
    "status",
    "opening_balance",
    "opened_at",
    "closed_at",
    "closed_by",
    "expected_cash",
    "actual_cash",
    "cash_difference",
    "note",
}
MONEY = re.compile(r"^-?\d+\.\d{2}$")
QUANTITY = re.compile(r"^-?\d+\.\d{3}$")


# --- §2 Products ---------------------------------------------------------------------------------------


def test_2_1_product_list_with_documented_parameters(owner):
    category = CategoryFactory(tenant=owner.tenant)
    phone = ProductFactory(tenant=owner.tenant, name="iPhone 14 Pro", sku="IPHONE-14-PRO", category=category)
    ProductFactory(tenant=owner.tenant, name="Case", is_active=False)
    response = owner.client.get(
        f"/api/products/products/?search=iphone&category={category.pk}&is_active=true&ordering=-created_at"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAGE_KEYS
    assert body["count"] == 1
    assert set(body["results"][0]) == PRODUCT_KEYS
    assert body["results"][0]["id"] == phone.pk
    for ordering in ("-created_at", "name", "sale_price"):
        assert owner.client.get(f"/api/products/products/?ordering={ordering}").status_code == 200


def test_2_2_create_product(manager):
    body = {
        "name": "iPhone 14 Pro",
        "sku": "IPHONE-14-PRO",
        "barcode": "1234567890123",
        "description": "Latest iPhone model",
        "cost_price": 50000,
        "sale_price": 75000,
        "wholesale_price": 65000,
        "tax_rate": 12,
        "unit": "pcs",
    }
    response = manager.client.post("/api/products/products/", body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert set(created) == PRODUCT_KEYS
    assert created["name"] == "iPhone 14 Pro"
    assert created["sku"] == "IPHONE-14-PRO"
    assert created["barcode"] == "1234567890123"
    assert (created["cost_price"], created["sale_price"], created["wholesale_price"]) == (
        "50000.00",
        "75000.00",
        "65000.00",
    )
    assert (created["tax_rate"], created["unit"], created["stock_quantity"]) == ("12.00", "pcs", "0.000")


def test_2_3_low_stock(owner):
    product = ProductFactory(tenant=owner.tenant, reorder_level=D("10"))
    receive(product, 3)
    response = owner.client.get("/api/products/products/low-stock/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PAGE_KEYS
    assert [(row["id"], row["stock_quantity"], row["is_low_stock"]) for row in body["results"]] == [
        (product.pk, "3.000", True)
    ]


def test_2_4_categories_list_and_create(manager):
    created = manager.client.post("/api/products/categories/", {"name": "Смартфоны"}, format="json")
    assert created.status_code == 201
    assert set(created.json()) == {
        "id",
        "name",
        "description",
        "parent",
        "is_active",
        "products_count",
        "created_at",
        "updated_at",
    }
    listed = manager.client.get("/api/products/categories/")
    assert listed.status_code == 200
    assert set(listed.json()) == PAGE_KEYS
    assert [row["name"] for row in listed.json()["results"]] == ["Смартфоны"]


# --- §3 Sales / cashier ------------------------------------------------------------------------------------


@pytest.fixture
def till(cashier):
    """Products 18 and 19 of the document's examples: 75000 each, so 2 of them make 150000.00."""
    phone = ProductFactory(tenant=cashier.tenant, name="iPhone 14 Pro", sale_price=D("75000"), tax_rate=D("12"))
    case = ProductFactory(tenant=cashier.tenant, name="Case", sale_price=D("50000"), tax_rate=D("12"))
    receive(phone, 10)
    receive(case, 10)
    return cashier, phone, case


def open_session(member, opening_balance=100000):
    return member.client.post("/api/sales/sessions/open/", {"opening_balance": opening_balance}, format="json")


def test_3_1_open_current_close_and_report(till):
    cashier, phone, _case = till
    opened = open_session(cashier)
    assert opened.status_code == 201
    assert opened.json()["status"] == "success"
    assert opened.json()["message"] == "Смена открыта"
    session = opened.json()["data"]
    assert set(session) == SESSION_KEYS
    assert (session["status"], session["opening_balance"], session["cashier"]) == ("open", "100000.00", cashier.user.pk)

    current = cashier.client.get("/api/sales/sessions/current/")
    assert current.status_code == 200
    assert current.json()["data"]["id"] == session["id"]

    sale = cashier.client.post(
        "/api/sales/sales/scan-item/", {"session": session["id"], "product": phone.pk, "quantity": 2}, format="json"
    ).json()["data"]
    cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {"payments": [{"payment_method": "cash", "amount": 150000, "received_amount": 200000}]},
        format="json",
    )

    closed = cashier.client.post(f"/api/sales/sessions/{session['id']}/close/", {"actual_cash": 250000}, format="json")
    assert closed.status_code == 200
    assert closed.json()["message"] == "Смена закрыта"
    data = closed.json()["data"]
    assert (data["status"], data["expected_cash"], data["actual_cash"], data["cash_difference"]) == (
        "closed",
        "250000.00",
        "250000.00",
        "0.00",
    )

    report = cashier.client.get(f"/api/sales/sessions/{session['id']}/report/")
    assert report.status_code == 200
    body = report.json()["data"]
    assert set(body) == {
        "session",
        "sales_count",
        "sales_total",
        "subtotal",
        "discount_total",
        "tax_total",
        "items_sold",
        "average_sale",
        "cancelled_count",
        "pending_count",
        "refunds_count",
        "refunds_total",
        "refunds_tax",
        "refunded_items",
        "net_total",
        "payments",
        "refunds_by_method",
        "opening_balance",
        "cash_received",
        "change_given",
        "cash_refunded",
        "expected_cash",
        "actual_cash",
        "cash_difference",
    }
    assert (body["sales_count"], body["sales_total"], body["items_sold"]) == (1, "150000.00", "2.000")
    assert body["tax_total"] == "16071.43"  # 150000 x 12 / 112
    assert body["payments"] == {"cash": "150000.00", "card": "0.00", "mobile": "0.00", "transfer": "0.00"}
    assert (body["cash_received"], body["change_given"]) == ("200000.00", "50000.00")


def test_3_2_scan_item_creates_the_sale_as_documented(till):
    cashier, phone, _case = till
    session = open_session(cashier).json()["data"]
    response = cashier.client.post(
        "/api/sales/sales/scan-item/",
        {"session": session["id"], "product": phone.pk, "quantity": 2, "batch": None},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["message"]) == ("success", "Товар добавлен")
    data = body["data"]
    assert set(data) == SALE_KEYS
    assert re.fullmatch(r"CHECK-\d{8}-\d{6}", data["receipt_number"])
    assert data["receipt_number"].startswith(f"CHECK-{timezone.localdate():%Y%m%d}")
    assert (data["status"], data["total_amount"]) == ("pending", "150000.00")
    assert len(data["items"]) == 1
    item = data["items"][0]
    assert (item["product"], item["quantity"], item["unit_price"], item["total_amount"]) == (
        phone.pk,
        "2.000",
        "75000.00",
        "150000.00",
    )
    for key in ("subtotal", "discount_amount", "tax_amount", "total_amount"):
        assert MONEY.match(data[key])


def test_3_2_current_add_remove_cancel(till):
    cashier, phone, case = till
    session = open_session(cashier).json()["data"]
    sale = cashier.client.post(
        "/api/sales/sales/scan-item/", {"session": session["id"], "product": phone.pk, "quantity": 2}, format="json"
    ).json()["data"]

    current = cashier.client.get(f"/api/sales/sales/current/?session={session['id']}")
    assert current.status_code == 200
    assert (current.json()["data"]["id"], current.json()["data"]["status"]) == (sale["id"], "pending")

    added = cashier.client.post(
        f"/api/sales/sales/{sale['id']}/add-item/", {"product": case.pk, "quantity": 1, "batch": None}, format="json"
    )
    assert added.status_code == 200
    assert added.json()["data"]["total_amount"] == "200000.00"
    item_id = next(i["id"] for i in added.json()["data"]["items"] if i["product"] == case.pk)

    removed = cashier.client.delete(f"/api/sales/sales/{sale['id']}/remove-item/", {"item_id": item_id}, format="json")
    assert removed.status_code == 200
    assert removed.json()["data"]["total_amount"] == "150000.00"
    assert [i["product"] for i in removed.json()["data"]["items"]] == [phone.pk]

    cancelled = cashier.client.post(f"/api/sales/sales/{sale['id']}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["data"]["status"] == "cancelled"


def _pending_sale(cashier, phone):
    session = open_session(cashier).json()["data"]
    return cashier.client.post(
        "/api/sales/sales/scan-item/", {"session": session["id"], "product": phone.pk, "quantity": 2}, format="json"
    ).json()["data"]


def test_3_2_checkout_with_cash(till):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    response = cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {"payments": [{"payment_method": "cash", "amount": 150000, "received_amount": 200000}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Продажа завершена"
    data = response.json()["data"]
    assert (data["status"], data["paid_amount"], data["change_amount"]) == ("completed", "150000.00", "50000.00")
    [payment] = data["payments"]
    assert (payment["payment_method"], payment["amount"], payment["received_amount"], payment["change_amount"]) == (
        "cash",
        "150000.00",
        "200000.00",
        "50000.00",
    )


def test_3_2_checkout_with_several_payment_methods(till):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    response = cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {
            "payments": [
                {"payment_method": "cash", "amount": 100000, "received_amount": 100000},
                {"payment_method": "card", "amount": 50000, "card_last4": "4242", "transaction_id": "TXN123456"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    payments = response.json()["data"]["payments"]
    assert [(p["payment_method"], p["amount"]) for p in payments] == [("cash", "100000.00"), ("card", "50000.00")]
    assert (payments[1]["card_last4"], payments[1]["transaction_id"]) == ("4242", "TXN123456")


def test_3_2_refund(till, manager):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {"payments": [{"payment_method": "cash", "amount": 150000}]},
        format="json",
    )
    response = manager.client.post(f"/api/sales/sales/{sale['id']}/refund/")
    assert response.status_code == 200
    assert response.json()["message"] == "Возврат выполнен"
    data = response.json()["data"]
    assert (data["status"], data["refunded_amount"]) == ("refunded", "150000.00")
    [refund] = data["refunds"]
    assert (refund["amount"], refund["is_full"]) == ("150000.00", True)


@pytest.mark.parametrize("status", ["pending", "completed", "cancelled", "refunded"])
def test_3_3_list_by_status_session_and_search(owner, status):
    response = owner.client.get(f"/api/sales/sales/?status={status}&session=1&search=CHECK")
    assert response.status_code == 200
    assert set(response.json()) == PAGE_KEYS


def test_3_3_list_and_today(till):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    listed = cashier.client.get(f"/api/sales/sales/?search={sale['receipt_number']}")
    assert [row["id"] for row in listed.json()["results"]] == [sale["id"]]
    assert set(listed.json()["results"][0]) == SALE_KEYS
    today = cashier.client.get("/api/sales/sales/today/")
    assert today.status_code == 200
    assert set(today.json()) == PAGE_KEYS
    assert [row["id"] for row in today.json()["results"]] == [sale["id"]]


def test_statuses_and_payment_methods_are_the_documents_vocabulary(till):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    assert Sale.objects.get(pk=sale["id"]).status == "pending"
    checkout = cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {"payments": [{"payment_method": "mobile", "amount": 75000}, {"payment_method": "transfer", "amount": 75000}]},
        format="json",
    )
    assert [p["payment_method"] for p in checkout.json()["data"]["payments"]] == ["mobile", "transfer"]
    bad = cashier.client.post(
        f"/api/sales/sales/{sale['id']}/checkout/",
        {"payments": [{"payment_method": "bitcoin", "amount": 1}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "payments" in bad.json()


def test_error_codes(till, anon, other_owner):
    cashier, phone, _case = till
    sale = _pending_sale(cashier, phone)
    bad = cashier.client.post("/api/sales/sales/scan-item/", {"product": "x"}, format="json")
    assert bad.status_code == 400
    assert "product" in bad.json()
    assert anon.get("/api/sales/sales/").status_code == 401
    assert cashier.client.post(f"/api/sales/sales/{sale['id']}/refund/").status_code == 403
    missing = other_owner.client.get(f"/api/sales/sales/{sale['id']}/")
    assert missing.status_code == 404
    assert missing.json()["status"] == "error"
    assert MONEY.match(sale["total_amount"]) and QUANTITY.match(sale["items"][0]["quantity"])
