"""Shifts and the till on the retail surface: roles, tenants, filters, idempotency, query counts."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savdo.api.retail.pos.serializers import PosCheckoutSerializer
from savdo.customers.models import Customer
from savdo.inventory.models import StockBalance
from savdo.sales.choices import ShiftStatus
from savdo.sales.idempotency import request_fingerprint
from savdo.sales.models import CashSession, IdempotencyKey, Payment, Refund, Sale
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.factories import MembershipFactory
from tests.generic import EndpointChecks
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, ring_up, sell

SALES = "/api/sales/sales/"
SESSIONS = "/api/sales/sessions/"
D = Decimal


def completed_sale(tenant, *, customer=None, lines=1):
    member = Member(tenant, Role.CASHIER)
    open_shift(member.membership)
    products = [ProductFactory(tenant=tenant, sale_price=D("1000")) for _ in range(lines)]
    for product in products:
        receive(product, 10)
    return sell(member.membership, [(p, 1) for p in products], customer=customer)


class TestSaleEndpoints(EndpointChecks):
    list_path = SALES
    detail_path = SALES + "{pk}/"
    model = Sale
    forbidden = [
        ("post", SALES + "{pk}/refund/", "cashier"),
        ("get", SALES, "agent"),
        ("post", SALES + "{pk}/cancel/", "agent"),
    ]

    def make_object(self, tenant):
        return completed_sale(tenant, customer=make_customer(tenant), lines=2)


class TestTodaysSalesEndpoint(EndpointChecks):
    list_path = SALES + "today/"
    model = Sale

    def make_object(self, tenant):
        return completed_sale(tenant, lines=2)


class TestSessionEndpoints(EndpointChecks):
    list_path = SESSIONS
    detail_path = SESSIONS + "{pk}/"
    extra_paths = [SESSIONS + "{pk}/report/"]
    model = CashSession
    forbidden = [("get", SESSIONS, "agent"), ("post", SESSIONS + "open/", "agent")]

    def make_object(self, tenant):
        return completed_sale(tenant).session


class TestPurchaseHistoryEndpoints(EndpointChecks):
    extra_paths = [
        "/api/customers/customers/{pk}/purchase-history/",
        "/api/customers/customers/{pk}/stats/",
        "/api/customers/customers/{pk}/purchase-history",
        "/api/customers/customers/{pk}/stats",
    ]
    model = Customer
    forbidden = [("get", "/api/customers/customers/{pk}/stats/", "agent")]

    def make_object(self, tenant):
        customer = make_customer(tenant)
        completed_sale(tenant, customer=customer)
        return customer


def test_other_tenants_sale_is_404_for_every_command(owner, other_tenant):
    foreign = completed_sale(other_tenant)
    for method, suffix in [
        ("post", "add-item/"),
        ("delete", "remove-item/"),
        ("post", "set-customer/"),
        ("post", "checkout/"),
        ("post", "cancel/"),
        ("post", "refund/"),
    ]:
        response = getattr(owner.client, method)(f"{SALES}{foreign.pk}/{suffix}", {}, format="json")
        assert response.status_code == 404, (suffix, response.status_code)
    assert (
        owner.client.post(f"{SESSIONS}{foreign.session_id}/close/", {"actual_cash": 0}, format="json").status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.status == "completed"


def test_purchase_history_of_unknown_customer_is_documented_404(owner, other_tenant):
    foreign = make_customer(other_tenant)
    for path in (f"/api/customers/customers/{foreign.pk}/purchase-history/", "/api/customers/customers/999999/stats/"):
        response = owner.client.get(path)
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "Покупатель не найден"}


@pytest.fixture
def shop(cashier):
    product = ProductFactory(
        tenant=cashier.tenant, name="Milk", barcode="4780000000011", sale_price=D("12000"), tax_rate=D("12")
    )
    receive(product, 100)
    shift = cashier.client.post(f"{SESSIONS}open/", {"opening_balance": 100000}, format="json").json()["data"]
    return cashier, shift["id"], product


def scan(member, session_id, **body):
    return member.client.post(f"{SALES}scan-item/", {"session": session_id, **body}, format="json")


def test_scan_by_barcode_and_by_id(shop):
    cashier, session_id, milk = shop
    first = scan(cashier, session_id, barcode="4780000000011", quantity=2)
    assert first.status_code == 200, first.content
    again = scan(cashier, session_id, product=milk.pk)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.json()["data"]["items"][0]["quantity"] == "3.000"
    assert again.json()["data"]["total_amount"] == "36000.00"
    sku = scan(cashier, session_id, barcode=milk.sku)
    assert sku.json()["data"]["items"][0]["quantity"] == "4.000"


def test_scan_refusals_are_field_errors(shop, other_tenant):
    cashier, session_id, milk = shop
    foreign = ProductFactory(tenant=other_tenant)
    foreign_shift = CashSession.objects.create(
        tenant=other_tenant, cashier=MembershipFactory(tenant=other_tenant, role=Role.CASHIER).user
    )
    for session, message in [(foreign_shift.pk, "Не найдено."), (10**12, "Не найдено."), ("x", None), (True, None)]:
        response = scan(cashier, session, product=milk.pk)
        assert response.status_code == 400, (session, response.content)
        assert "session" in response.json(), (session, response.json())
        if message:
            assert response.json()["session"] == [message]
    cases = [
        ({"barcode": "0000"}, "barcode"),
        ({"product": foreign.pk}, "product"),
        ({}, "product"),
        ({"product": milk.pk, "quantity": 0}, "quantity"),
        ({"product": milk.pk, "quantity": "abc"}, "quantity"),
        ({"product": milk.pk, "quantity": "1.5"}, "quantity"),
        ({"product": milk.pk, "customer": 10**12}, "customer"),
        ({"product": milk.pk, "batch": 10**12}, "batch"),
    ]
    for body, field in cases:
        response = scan(cashier, session_id, **body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert not Sale.objects.exists()
    short = scan(cashier, session_id, product=milk.pk, quantity=1000)
    assert short.status_code == 400
    assert short.json()["status"] == "error"
    assert "Milk" in short.json()["message"]


def test_a_plain_scan_of_an_unknown_product_is_refused_as_the_serializer_refuses_it(shop, other_tenant):
    """A plain body's product is read with the sale's lock (`sale_scan_item` with an id); when
    there is none, the serializer words the refusal: the same answer as for a body it reads."""
    cashier, session_id, milk = shop
    foreign = ProductFactory(tenant=other_tenant)
    for product in (foreign.pk, 10**12):
        plain = scan(cashier, session_id, product=product)
        read = scan(cashier, session_id, product=product, customer=None)  # not plain: the serializer
        assert plain.status_code == read.status_code == 400
        assert plain.json() == read.json()
        assert "product" in plain.json(), plain.json()
    closed = CashSession.objects.create(tenant=milk.tenant, cashier=cashier.user, status=ShiftStatus.CLOSED)
    assert "product" in scan(cashier, closed.pk, product=10**12).json()  # the product is checked first
    assert not Sale.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronous_commit")
def test_cart_lines_commit_without_waiting_for_the_disk_and_checkouts_wait(shop):
    cashier, session_id, milk = shop
    receive(milk, 10)

    def async_commits(call):
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        assert response.status_code == 200, response.content
        return [q["sql"] for q in ctx.captured_queries if "synchronous_commit" in q["sql"]]

    assert async_commits(lambda: scan(cashier, session_id, product=milk.pk)) == ["SET LOCAL synchronous_commit TO OFF"]
    sale = Sale.objects.get(session_id=session_id)
    body = {"payments": [{"payment_method": "cash", "amount": str(sale.total_amount)}]}
    checkout = lambda: cashier.client.post(f"{SALES}{sale.pk}/checkout/", body, format="json")  # noqa: E731
    assert async_commits(checkout) == []


def test_scan_without_session_uses_your_open_shift_and_without_shift_is_refused(shop, manager):
    cashier, session_id, milk = shop
    response = cashier.client.post(f"{SALES}scan-item/", {"product": milk.pk}, format="json")
    assert response.json()["data"]["session"] == session_id
    refused = manager.client.post(f"{SALES}scan-item/", {"product": milk.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["status"] == "error"


def test_current_add_remove_and_cancel(shop):
    cashier, session_id, milk = shop
    assert cashier.client.get(f"{SALES}current/?session={session_id}").status_code == 404
    sale_id = scan(cashier, session_id, product=milk.pk).json()["data"]["id"]
    current = cashier.client.get(f"{SALES}current/?session={session_id}")
    assert current.status_code == 200
    assert current.json()["data"]["id"] == sale_id
    assert cashier.client.get(f"{SALES}current").json()["data"]["id"] == sale_id
    added = cashier.client.post(f"{SALES}{sale_id}/add-item/", {"product": milk.pk, "quantity": 2}, format="json")
    assert added.json()["data"]["items"][0]["quantity"] == "3.000"
    item_id = added.json()["data"]["items"][0]["id"]
    removed = cashier.client.delete(f"{SALES}{sale_id}/remove-item/", {"item_id": item_id}, format="json")
    assert removed.status_code == 200, removed.content
    assert removed.json()["data"]["items"] == []
    assert cashier.client.delete(f"{SALES}{sale_id}/remove-item/", {}, format="json").status_code == 400
    cancelled = cashier.client.post(f"{SALES}{sale_id}/cancel/")
    assert cancelled.json()["data"]["status"] == "cancelled"
    again = cashier.client.post(f"{SALES}{sale_id}/cancel/")
    assert again.status_code == 400
    assert "cancelled" in again.json()["message"]
    assert cashier.client.get(f"{SALES}current/?session=abc").status_code == 400


def test_set_customer_by_id_phone_or_null(shop):
    cashier, session_id, milk = shop
    customer = make_customer(cashier.tenant, discount_percent=D("10"))
    sale_id = scan(cashier, session_id, product=milk.pk).json()["data"]["id"]
    path = f"{SALES}{sale_id}/set-customer/"
    by_phone = cashier.client.post(path, {"phone": customer.phone}, format="json").json()["data"]
    assert (by_phone["customer"], by_phone["total_amount"]) == (customer.pk, "10800.00")
    assert by_phone["customer_name"] == customer.full_name
    assert cashier.client.post(path, {"phone": "+998900000000"}, format="json").status_code == 400
    assert cashier.client.post(path, {"phone": "12345"}, format="json").status_code == 400
    assert cashier.client.post(path, {}, format="json").status_code == 400
    detached = cashier.client.post(path, {"customer": None}, format="json").json()["data"]
    assert (detached["customer"], detached["total_amount"]) == (None, "12000.00")
    by_id = cashier.client.post(path, {"customer": customer.pk}, format="json").json()["data"]
    assert by_id["customer"] == customer.pk


def test_refund_needs_a_manager(shop, manager):
    cashier, session_id, milk = shop
    sale_id = scan(cashier, session_id, product=milk.pk).json()["data"]["id"]
    body = {"payments": [{"payment_method": "cash", "amount": 12000}]}
    assert cashier.client.post(f"{SALES}{sale_id}/checkout/", body, format="json").status_code == 200
    assert cashier.client.post(f"{SALES}{sale_id}/refund/", {}, format="json").status_code == 403
    assert not Refund.objects.exists()
    refunded = manager.client.post(f"{SALES}{sale_id}/refund/")
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["data"]["status"] == "refunded"


def test_stock_and_price_changes_need_a_manager(cashier):
    product = ProductFactory(tenant=cashier.tenant)
    receive(product, 1)
    assert (
        cashier.client.post("/api/products/stock/receive/", {"product": product.pk, "quantity": 1}, format="json")
    ).status_code == 403
    adjust = {"product": product.pk, "counted_quantity": 0, "reason": "x"}
    assert cashier.client.post("/api/products/stock/adjust/", adjust, format="json").status_code == 403
    assert (
        cashier.client.patch(f"/api/products/products/{product.pk}/", {"sale_price": 1}, format="json").status_code
        == 403
    )
    assert StockBalance.objects.get(product=product).quantity == 1


def test_a_cashier_sees_only_own_shifts_and_cannot_sell_in_anothers(shop):
    cashier, session_id, milk = shop
    other = Member(cashier.tenant, Role.CASHIER)
    assert other.client.get(f"{SESSIONS}{session_id}/").status_code == 404
    assert other.client.get(f"{SESSIONS}{session_id}/report/").status_code == 404
    assert other.client.get(SESSIONS).json()["results"] == []
    refused = scan(other, session_id, product=milk.pk)
    assert refused.status_code == 403
    assert not Sale.objects.exists()


def test_second_open_shift_is_400(shop):
    cashier, session_id, _milk = shop
    response = cashier.client.post(f"{SESSIONS}open/", {"opening_balance": 5}, format="json")
    assert response.status_code == 400
    assert str(session_id) in response.json()["message"]
    assert cashier.client.post(f"{SESSIONS}open/", {"opening_balance": -5}, format="json").status_code == 400
    assert cashier.client.get(f"{SESSIONS}current/").json()["data"]["id"] == session_id


def test_sales_list_filters(owner):
    tenant = owner.tenant
    anna = make_customer(tenant, first_name="Anna", last_name="Karimova", phone="+998935550011")
    first = completed_sale(tenant, customer=anna)
    second = completed_sale(tenant)
    member = Member(tenant, Role.CASHIER)
    open_shift(member.membership)
    product = ProductFactory(tenant=tenant)
    receive(product, 1)
    pending = ring_up(member.membership, [(product, 1)])

    def ids(query):
        response = owner.client.get(f"{SALES}?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {first.pk, second.pk, pending.pk}
    assert ids("status=pending") == {pending.pk}
    assert ids("status=completed") == {first.pk, second.pk}
    assert ids(f"session={first.session_id}") == {first.pk}
    assert ids(f"search={second.receipt_number}") == {second.pk}
    assert ids("search=karimova anna") == {first.pk}
    assert ids("search=93 555 00") == {first.pk}
    today = timezone.localdate().isoformat()
    assert ids(f"date_from={today}&date_to={today}") == {first.pk, second.pk, pending.pk}
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert ids(f"date_from={tomorrow}") == set()
    Sale.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert {row["id"] for row in owner.client.get(f"{SALES}today/").json()["results"]} == {first.pk, pending.pk}
    assert owner.client.get(f"{SALES}?status=lost").status_code == 400
    assert owner.client.get(f"{SALES}?date_from=yesterday").status_code == 400


# --- idempotency -------------------------------------------------------------------------------------


def _pending(shop, quantity=1):
    cashier, session_id, milk = shop
    return scan(cashier, session_id, product=milk.pk, quantity=quantity).json()["data"]["id"]


def test_retried_checkout_with_the_same_key_charges_once(shop):
    cashier, _session_id, milk = shop
    sale_id = _pending(shop)
    body = {"payments": [{"payment_method": "cash", "amount": 12000, "received_amount": 20000}]}
    path = f"{SALES}{sale_id}/checkout/"
    first = cashier.client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    second = cashier.client.post(path.rstrip("/"), body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Payment.objects.filter(sale_id=sale_id).count() == 1
    assert StockBalance.objects.get(product=milk).quantity == D("99")
    different = cashier.client.post(
        path, {"payments": [{"payment_method": "card", "amount": 12000}]}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert different.status_code == 422
    assert different.json()["status"] == "error"
    without_key = cashier.client.post(path, body, format="json")
    assert without_key.status_code == 400  # a new attempt: the sale is already completed


def test_a_refused_request_releases_its_key(shop):
    cashier, _session_id, _milk = shop
    sale_id = _pending(shop)
    path = f"{SALES}{sale_id}/checkout/"
    wrong = cashier.client.post(
        path, {"payments": [{"payment_method": "cash", "amount": 1}]}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert wrong.status_code == 400
    assert not IdempotencyKey.objects.exists()
    right = cashier.client.post(
        path, {"payments": [{"payment_method": "cash", "amount": 12000}]}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert right.status_code == 200
    key = IdempotencyKey.objects.get()
    assert key.state == "done"
    assert key.expires_at >= timezone.now() + timedelta(hours=23, minutes=59)


def test_a_duplicate_while_the_first_runs_is_409(shop):
    cashier, _session_id, _milk = shop
    sale_id = _pending(shop)
    path = f"{SALES}{sale_id}/checkout/"
    body = {"payments": [{"payment_method": "cash", "amount": 12000}]}
    payload = PosCheckoutSerializer(data=body)
    payload.is_valid(raise_exception=True)
    validated = payload.validated_data
    IdempotencyKey.objects.create(
        tenant=cashier.tenant,
        key="busy",
        fingerprint=request_fingerprint("POST", path.rstrip("/"), cashier.user.pk, validated),
        expires_at=timezone.now() + timedelta(hours=24),
    )
    response = cashier.client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert Sale.objects.get(pk=sale_id).status == "pending"
    # a claim abandoned by a crashed process is taken over after a while
    IdempotencyKey.objects.filter(key="busy").update(updated_at=timezone.now() - timedelta(minutes=5))
    assert cashier.client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="busy").status_code == 200


def test_keys_are_per_tenant_and_expire(shop, other_owner):
    cashier, _session_id, _milk = shop
    sale_id = _pending(shop)
    body = {"payments": [{"payment_method": "cash", "amount": 12000}]}
    assert (
        cashier.client.post(f"{SALES}{sale_id}/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code
        == 200
    )
    other_product = ProductFactory(tenant=other_owner.tenant, sale_price=D("12000"))
    receive(other_product, 1)
    open_shift(other_owner.membership)
    other_sale = ring_up(other_owner.membership, [(other_product, 1)])
    response = other_owner.client.post(
        f"{SALES}{other_sale.pk}/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = cashier.client.post(f"{SALES}{sale_id}/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert again.status_code == 400  # ran again (the key had expired): the sale is already completed
    too_long = cashier.client.post(f"{SALES}{sale_id}/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert too_long.status_code == 400


def test_retried_refund_with_the_same_key_refunds_once(shop, manager):
    cashier, _session_id, milk = shop
    sale_id = _pending(shop, quantity=3)
    cashier.client.post(
        f"{SALES}{sale_id}/checkout/", {"payments": [{"payment_method": "cash", "amount": 36000}]}, format="json"
    )
    item_id = Sale.objects.get(pk=sale_id).items.get().pk
    body = {"items": [{"item_id": item_id, "quantity": 1}]}
    first = manager.client.post(f"{SALES}{sale_id}/refund/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    second = manager.client.post(f"{SALES}{sale_id}/refund/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Refund.objects.count() == 1
    assert StockBalance.objects.get(product=milk).quantity == D("98")


# --- query counts ----------------------------------------------------------------------------------


def _checkout_queries(member, lines: int) -> int:
    products = [ProductFactory(tenant=member.tenant, sale_price=D("100")) for _ in range(lines)]
    for product in products:
        receive(product, 5, batch_number=f"B-{product.pk}")
    customer = make_customer(member.tenant)
    sale = ring_up(member.membership, [(p, 2) for p in products], customer=customer)
    body = {
        "payments": [
            {"payment_method": "cash", "amount": str(sale.total_amount - 1), "received_amount": str(sale.total_amount)},
            {"payment_method": "card", "amount": "1.00", "card_last4": "4242"},
        ]
    }
    with CaptureQueriesContext(connection) as queries:
        response = member.client.post(
            f"{SALES}{sale.pk}/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"q{sale.pk}"
        )
    assert response.status_code == 200, response.content
    return len(queries)


def test_checkout_query_count_does_not_grow_with_lines(cashier):
    open_shift(cashier.membership)
    _checkout_queries(cashier, 1)  # warm caches
    one = _checkout_queries(cashier, 1)
    thirty = _checkout_queries(cashier, 30)
    assert thirty == one, (one, thirty)


def test_refund_query_count_does_not_grow_with_lines(cashier, manager):
    open_shift(cashier.membership)

    def refund_queries(lines):
        sale = completed_sale(cashier.tenant, lines=lines)
        with CaptureQueriesContext(connection) as queries:
            assert manager.client.post(f"{SALES}{sale.pk}/refund/").status_code == 200
        return len(queries)

    refund_queries(1)
    assert refund_queries(30) == refund_queries(1)


def test_refund_with_an_empty_item_list_is_refused_not_a_full_refund(shop, manager):
    cashier, _session_id, _milk = shop
    sale_id = _pending(shop)
    cashier.client.post(
        f"{SALES}{sale_id}/checkout/", {"payments": [{"payment_method": "cash", "amount": 12000}]}, format="json"
    )
    response = manager.client.post(f"{SALES}{sale_id}/refund/", {"items": []}, format="json")
    assert response.status_code == 400
    assert "items" in response.json()
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"), [("ru", "Товар добавлен"), ("uz", "Mahsulot qo‘shildi"), ("en", "Item added")]
)
def test_messages_follow_accept_language(shop, language, message):
    cashier, session_id, milk = shop
    response = cashier.client.post(
        f"{SALES}scan-item/", {"session": session_id, "product": milk.pk}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.json()["message"] == message


def test_purge_deletes_only_expired_keys(tenant):
    now = timezone.now()
    IdempotencyKey.objects.create(tenant=tenant, key="old", fingerprint="x", expires_at=now - timedelta(seconds=1))
    IdempotencyKey.objects.create(tenant=tenant, key="new", fingerprint="x", expires_at=now + timedelta(hours=1))
    call_command("purge-idempotency-keys", stdout=io.StringIO())
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", SALES + "scan-item/"),
        ("get", SALES + "current/"),
        ("post", SALES + "{pk}/add-item/"),
        ("delete", SALES + "{pk}/remove-item/"),
        ("post", SALES + "{pk}/set-customer/"),
        ("post", SALES + "{pk}/checkout/"),
        ("post", SALES + "{pk}/cancel/"),
        ("post", SALES + "{pk}/refund/"),
        ("post", SESSIONS + "open/"),
        ("get", SESSIONS + "current/"),
        ("post", SESSIONS + "{pk}/close/"),
    ],
)
def test_every_command_needs_a_token(anon, tenant, method, path):
    sale = completed_sale(tenant)
    target = path.format(pk=sale.pk if path.startswith(SALES) else sale.session_id)
    response = getattr(anon, method)(target, {}, format="json", HTTP_X_TENANT_KEY=tenant.key)
    assert response.status_code == 401
    assert getattr(anon, method)(target.rstrip("/"), {}, format="json").status_code == 401
