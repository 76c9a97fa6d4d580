"""The newcomer's walk through the till, through the API only: register, create a product, receive
stock, open a shift, scan by barcode, attach a customer, pay cash + card, refund one line, close the
shift, read the report, and see the customer's purchase history and stats move."""

from decimal import Decimal

from rest_framework.test import APIClient

from savdo.customers.models import Customer
from savdo.inventory.models import StockBalance, StockMovement
from savdo.tenancy.models import Membership


def _client_for_new_store() -> tuple[APIClient, Membership]:
    client = APIClient()
    response = client.post(
        "/api/users/auth/register/",
        {
            "username": "shopkeeper",
            "email": "keeper@example.com",
            "password": "S4vdo-Flow-Pass!",
            "password2": "S4vdo-Flow-Pass!",
            "first_name": "Shop",
            "last_name": "Keeper",
            "store_name": "Corner Shop",
            "phone": "+998901112233",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['data']['tokens']['access']}")
    return client, Membership.objects.get(user__username="shopkeeper")


def test_the_whole_till_day():
    client, membership = _client_for_new_store()
    tenant = membership.tenant

    category = client.post("/api/products/categories/", {"name": "Dairy"}, format="json")
    assert category.status_code == 201, category.content
    milk = client.post(
        "/api/products/products/",
        {
            "name": "Milk 3.2%",
            "sku": "MILK-32",
            "barcode": "4780000000011",
            "cost_price": 9000,
            "sale_price": 12000,
            "tax_rate": 12,
            "unit": "pcs",
            "category": category.json()["id"],
        },
        format="json",
    )
    assert milk.status_code == 201, milk.content
    bread = client.post(
        "/api/products/products/",
        {"name": "Bread", "sku": "BREAD", "barcode": "4780000000028", "cost_price": 5000, "sale_price": 9000},
        format="json",
    )
    assert bread.status_code == 201, bread.content
    milk_id, bread_id = milk.json()["id"], bread.json()["id"]

    received = client.post(
        "/api/products/stock/receive/",
        {"product": milk_id, "quantity": 20, "batch_number": "M-1", "expiry_date": "2030-01-01", "cost_price": 9000},
        format="json",
    )
    assert received.status_code == 201, received.content
    assert received.json()["data"]["stock_quantity"] == "20.000"
    assert (
        client.post("/api/products/stock/receive/", {"product": bread_id, "quantity": 30}, format="json").status_code
        == 201
    )

    customer = Customer.objects.create(tenant=tenant, first_name="Иван", last_name="Петров", phone="+998901234567")

    shift = client.post("/api/sales/sessions/open/", {"opening_balance": 100000}, format="json")
    assert shift.status_code == 201, shift.content
    session_id = shift.json()["data"]["id"]

    scanned = client.post(
        "/api/sales/sales/scan-item/", {"session": session_id, "barcode": "4780000000011", "quantity": 5}, format="json"
    )
    assert scanned.status_code == 200, scanned.content
    assert scanned.json()["message"] == "Товар добавлен"
    sale_id = scanned.json()["data"]["id"]
    client.post(
        "/api/sales/sales/scan-item/", {"session": session_id, "product": bread_id, "quantity": 10}, format="json"
    )

    attached = client.post(f"/api/sales/sales/{sale_id}/set-customer/", {"phone": "+998901234567"}, format="json")
    assert attached.status_code == 200, attached.content
    sale = attached.json()["data"]
    assert sale["customer"] == customer.pk
    assert sale["total_amount"] == "150000.00"  # 5 x 12000 + 10 x 9000

    checkout = client.post(
        f"/api/sales/sales/{sale_id}/checkout/",
        {
            "payments": [
                {"payment_method": "cash", "amount": 100000, "received_amount": 120000},
                {"payment_method": "card", "amount": 50000, "card_last4": "4242", "transaction_id": "TXN123456"},
            ]
        },
        format="json",
    )
    assert checkout.status_code == 200, checkout.content
    done = checkout.json()["data"]
    assert done["status"] == "completed"
    assert done["change_amount"] == "20000.00"
    assert StockBalance.objects.get(product_id=milk_id).quantity == Decimal("15.000")

    customer.refresh_from_db()
    assert customer.total_purchases == Decimal("150000.00")
    assert customer.total_purchases_count == 1
    assert customer.loyalty_points == Decimal("1500.00")

    milk_line = next(item for item in done["items"] if item["product"] == milk_id)
    refund = client.post(
        f"/api/sales/sales/{sale_id}/refund/", {"items": [{"item_id": milk_line["id"], "quantity": 5}]}, format="json"
    )
    assert refund.status_code == 200, refund.content
    assert refund.json()["data"]["refunded_amount"] == "60000.00"
    assert refund.json()["data"]["status"] == "completed"
    assert StockBalance.objects.get(product_id=milk_id).quantity == Decimal("20.000")
    assert StockMovement.objects.filter(product_id=milk_id, kind="refund").get().quantity == Decimal("5.000")

    # Cash: 100000 opening + 120000 received - 20000 change - 60000 refunded (cash first) = 140000.
    closed = client.post(f"/api/sales/sessions/{session_id}/close/", {"actual_cash": 139000}, format="json")
    assert closed.status_code == 200, closed.content
    assert closed.json()["data"]["expected_cash"] == "140000.00"
    assert closed.json()["data"]["cash_difference"] == "-1000.00"

    report = client.get(f"/api/sales/sessions/{session_id}/report/").json()["data"]
    assert report["sales_count"] == 1
    assert report["sales_total"] == "150000.00"
    assert report["refunds_total"] == "60000.00"
    assert report["payments"] == {"cash": "100000.00", "card": "50000.00", "mobile": "0.00", "transfer": "0.00"}
    assert report["expected_cash"] == "140000.00"
    assert report["actual_cash"] == "139000.00"
    assert report["cash_difference"] == "-1000.00"

    history = client.get(f"/api/customers/customers/{customer.pk}/purchase-history/")
    assert history.status_code == 200, history.content
    body = history.json()
    assert body["count"] == 1
    assert body["results"][0]["total_amount"] == 90000.0
    assert body["results"][0]["items"] == [{"product_name": "Bread", "quantity": 10, "price": 9000.0, "total": 90000.0}]
    assert b'"total_amount":90000.00' in history.content

    stats = client.get(f"/api/customers/customers/{customer.pk}/stats/").json()
    assert stats["customer"] == {"id": customer.pk, "full_name": "Петров Иван", "phone": "+998901234567"}
    assert stats["purchases"]["total_amount"] == 90000.0
    assert stats["purchases"]["total_count"] == 1
    assert stats["purchases"]["loyalty_points"] == 900.0

    # The day's money and stock commands are in the change log, each with who ran it.
    def logged(object_type: str) -> list[tuple[str, int, dict]]:
        answer = client.get(f"/api/changelog/?object_type={object_type}&page_size=50")
        assert answer.status_code == 200, answer.content
        assert {row["user"] for row in answer.json()["results"]} == {membership.user_id}
        return sorted((row["action"], row["object_id"], row["changes"]) for row in answer.json()["results"])

    sale_rows = logged("sales.sale")
    assert [(action, object_id) for action, object_id, _changes in sale_rows] == [
        ("checkout", sale_id),
        ("refund", sale_id),
    ]
    checked_out, refunded = sale_rows[0][2], sale_rows[1][2]
    assert checked_out["status"] == ["pending", "completed"]
    assert checked_out["paid_amount"] == ["0.00", "150000.00"]
    assert checked_out["change_amount"] == ["0.00", "20000.00"]
    assert checked_out["loyalty_points"] == ["0.00", "1500.00"]
    assert checked_out["payments"][1] == [
        {"method": "cash", "amount": "100000.00", "change": "20000.00"},
        {"method": "card", "amount": "50000.00", "change": "0.00"},
    ]
    assert sorted((row["product"], row["quantity"]) for row in checked_out["stock"][1]) == sorted(
        [(milk_id, "-5.000"), (bread_id, "-10.000")]
    )
    assert refunded["refunded_amount"] == ["0.00", "60000.00"]
    assert refunded["payments"][1] == [
        {"payment": refunded["payments"][1][0]["payment"], "method": "cash", "amount": "60000.00"}
    ]
    assert [(row["product"], row["quantity"]) for row in refunded["stock"][1]] == [(milk_id, "5.000")]

    shift_rows = logged("sales.cashsession")
    assert [(action, object_id) for action, object_id, _changes in shift_rows] == [
        ("close", session_id),
        ("open", session_id),
    ]
    assert shift_rows[0][2]["actual_cash"] == [None, "139000.00"]
    assert shift_rows[0][2]["cash_difference"] == [None, "-1000.00"]
    assert shift_rows[1][2]["opening_balance"] == [None, "100000.00"]

    received_rows = [row for row in logged("catalog.product") if row[0] == "stock_receive"]
    assert sorted((object_id, changes["stock"]) for _action, object_id, changes in received_rows) == sorted(
        [(milk_id, ["0.000", "20.000"]), (bread_id, ["0.000", "30.000"])]
    )
