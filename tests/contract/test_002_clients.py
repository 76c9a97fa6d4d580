"""Document 002 (organization clients), every documented request and response except the chats:
list with its query parameters, get, both create bodies, update, delete, stats, import (success
and per-row errors), export (JSON and the CSV header), and the document's JavaScript examples."""

import csv
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from savdo.customers.models import Customer, Tag
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import TagFactory

# The client fields of the document's list example, in its order.
CLIENT_KEYS = [
    "id",
    "organizationId",
    "clientType",
    "name",
    "email",
    "phone",
    "secondaryPhone",
    "website",
    "address",
    "city",
    "country",
    "postalCode",
    "companyName",
    "taxId",
    "registrationNumber",
    "legalAddress",
    "contactPerson",
    "contactPosition",
    "contactPhone",
    "contactEmail",
    "status",
    "source",
    "segment",
    "assignedUserId",
    "totalRevenue",
    "lastPurchaseDate",
    "purchaseCount",
    "averageCheck",
    "discount",
    "notes",
    "birthday",
    "whatsappJid",
    "telegramUserId",
    "emailSubscribed",
    "smsSubscribed",
    "createdAt",
    "updatedAt",
    "assignedUser",
    "tags",
]
ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
CSV_HEADER = (
    '"ID","Type","Name","Email","Phone","Company","Status",'
    '"Segment","Source","Total Revenue","Assigned User","Created At"'
)

INDIVIDUAL = {
    "clientType": "individual",
    "name": "Иван Петров",
    "email": "ivan@example.com",
    "phone": "+79001234567",
    "secondaryPhone": "+79007654321",
    "website": None,
    "address": "ул. Ленина, 10",
    "city": "Москва",
    "country": "Россия",
    "postalCode": "123456",
    "status": "active",
    "source": "whatsapp",
    "tags": '["VIP", "постоянный"]',
    "segment": "VIP",
    "assignedUserId": 5,
    "discount": 10.00,
    "notes": "Постоянный клиент",
    "birthday": "1985-05-20",
    "whatsappJid": "79001234567@s.whatsapp.net",
    "emailSubscribed": True,
    "smsSubscribed": True,
}

COMPANY = {
    "clientType": "company",
    "name": "ООО Ромашка",
    "companyName": "Общество с ограниченной ответственностью Ромашка",
    "email": "info@romashka.ru",
    "phone": "+74951234567",
    "website": "https://romashka.ru",
    "address": "Бизнес-центр Альфа, офис 301",
    "city": "Москва",
    "country": "Россия",
    "postalCode": "101000",
    "taxId": "7707123456",
    "registrationNumber": "1027700123456",
    "legalAddress": "г. Москва, ул. Тверская, д. 1",
    "contactPerson": "Сергей Иванов",
    "contactPosition": "Директор по закупкам",
    "contactPhone": "+79161234567",
    "contactEmail": "ivanov@romashka.ru",
    "status": "active",
    "source": "website",
    "segment": "wholesale",
    "assignedUserId": 7,
    "discount": 15.00,
    "notes": "Оптовый клиент, ежемесячные заказы",
}


@pytest.fixture
def owner(tenant):
    return Member(tenant, Role.OWNER)


@pytest.fixture
def anna(tenant):
    """The document's manager "Анна Менеджер"."""
    member = Member(tenant, Role.MANAGER)
    member.user.first_name, member.user.last_name, member.user.email = "Анна", "Менеджер", "anna@company.com"
    member.user.save()
    return member


def _with_manager(body: dict, manager) -> dict:
    return {**body, "assignedUserId": manager.user.pk}


def _create(client, body) -> dict:
    response = client.post("/api/clients", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _assert_client_shape(row: dict) -> None:
    assert list(row) == CLIENT_KEYS
    assert isinstance(row["id"], int)
    assert row["createdAt"] and row["updatedAt"]
    for key in ("createdAt", "updatedAt"):
        assert __import__("re").match(ISO_Z, row[key]), row[key]
    for key in ("totalRevenue", "averageCheck", "discount"):
        assert isinstance(row[key], str) and Decimal(row[key]).as_tuple().exponent == -2


# --- 3. create -----------------------------------------------------------------------------------


def test_create_individual_with_the_full_documented_body(tenant, owner, anna):
    TagFactory(tenant=tenant, name="VIP", color="#FFD700")
    TagFactory(tenant=tenant, name="Постоянный", color="#4CAF50")
    body = _create(owner.client, _with_manager(INDIVIDUAL, anna))
    _assert_client_shape(body)
    assert {k: body[k] for k in body if k not in ("id", "createdAt", "updatedAt", "tags")} == {
        "organizationId": tenant.pk,
        "clientType": "individual",
        "name": "Иван Петров",
        "email": "ivan@example.com",
        "phone": "+79001234567",
        "secondaryPhone": "+79007654321",
        "website": None,
        "address": "ул. Ленина, 10",
        "city": "Москва",
        "country": "Россия",
        "postalCode": "123456",
        "companyName": None,
        "taxId": None,
        "registrationNumber": None,
        "legalAddress": None,
        "contactPerson": None,
        "contactPosition": None,
        "contactPhone": None,
        "contactEmail": None,
        "status": "active",
        "source": "whatsapp",
        "segment": "VIP",
        "assignedUserId": anna.user.pk,
        "totalRevenue": "0.00",
        "lastPurchaseDate": None,
        "purchaseCount": 0,
        "averageCheck": "0.00",
        "discount": "10.00",
        "notes": "Постоянный клиент",
        "birthday": "1985-05-20T00:00:00.000Z",
        "whatsappJid": "79001234567@s.whatsapp.net",
        "telegramUserId": None,
        "emailSubscribed": True,
        "smsSubscribed": True,
        "assignedUser": {"id": anna.user.pk, "name": "Анна Менеджер", "email": "anna@company.com"},
    }
    # "постоянный" links the store's "Постоянный" (names compare case-insensitively).
    assert [(t["name"], t["color"]) for t in body["tags"]] == [("VIP", "#FFD700"), ("Постоянный", "#4CAF50")]
    assert Tag.objects.filter(tenant=tenant).count() == 2


def test_create_company_with_the_documented_body(tenant, owner, anna):
    body = _create(owner.client, _with_manager(COMPANY, anna))
    _assert_client_shape(body)
    expected = {**COMPANY, "assignedUserId": anna.user.pk, "discount": "15.00"}
    assert {k: body[k] for k in expected} == expected
    customer = Customer.objects.get(pk=body["id"])
    assert (customer.customer_type, customer.company_name, customer.tax_id) == (
        "company",
        "Общество с ограниченной ответственностью Ромашка",
        "7707123456",
    )


def test_create_curl_example_answers_as_documented(tenant, owner):
    response = owner.client.post(
        "/api/clients",
        {
            "clientType": "individual",
            "name": "Иван Петров",
            "email": "ivan@example.com",
            "phone": "+79001234567",
            "status": "active",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    documented = {"organizationId": tenant.pk, "clientType": "individual", "name": "Иван Петров"}
    documented |= {"email": "ivan@example.com", "phone": "+79001234567", "status": "active", "assignedUser": None}
    assert {k: body[k] for k in documented} == documented
    # Set on the same insert (to the millisecond shown, unless the insert straddles one).
    created, updated = (datetime.fromisoformat(body[k].replace("Z", "+00:00")) for k in ("createdAt", "updatedAt"))
    assert abs(updated - created) < timedelta(milliseconds=10)


# --- 1. list -------------------------------------------------------------------------------------


def test_list_curl_examples(tenant, owner, anna):
    vip = TagFactory(tenant=tenant, name="VIP", color="#FFD700")
    regular = TagFactory(tenant=tenant, name="Постоянный", color="#4CAF50")
    ivan = _create(owner.client, _with_manager({**INDIVIDUAL, "tags": [vip.pk, regular.pk]}, anna))
    _create(owner.client, {"name": "Иван Сидоров", "phone": "+79001112233", "status": "inactive", "tags": [vip.pk]})
    _create(owner.client, {"name": "Пётр Без Тегов", "phone": "+79001112244", "status": "active"})

    response = owner.client.get(f"/api/clients?page=1&limit=10&status=active&tags={vip.pk}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["clients", "pagination"]
    assert body["pagination"] == {"page": 1, "limit": 10, "total": 1, "totalPages": 1}
    [row] = body["clients"]
    _assert_client_shape(row)
    assert row["id"] == ivan["id"]
    assert row["assignedUser"] == {"id": anna.user.pk, "name": "Анна Менеджер", "email": "anna@company.com"}
    assert row["tags"] == [
        {"id": vip.pk, "name": "VIP", "color": "#FFD700"},
        {"id": regular.pk, "name": "Постоянный", "color": "#4CAF50"},
    ]

    response = owner.client.get(f"/api/clients?tags={vip.pk},{regular.pk}&search=Иван")
    assert response.status_code == 200
    body = response.json()
    assert sorted(r["name"] for r in body["clients"]) == ["Иван Петров", "Иван Сидоров"]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}


# --- 2. get --------------------------------------------------------------------------------------


def test_get_by_id(tenant, owner, anna):
    created = _create(owner.client, _with_manager(INDIVIDUAL, anna))
    response = owner.client.get(f"/api/clients/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    _assert_client_shape(body)
    assert body == created


# --- 4. update -----------------------------------------------------------------------------------


def test_update_with_the_documented_body(tenant, owner):
    created = _create(owner.client, INDIVIDUAL | {"assignedUserId": None})
    response = owner.client.put(
        f"/api/clients/{created['id']}",
        {
            "name": "Иван Петрович Петров",
            "phone": "+79009999999",
            "segment": "VIP",
            "discount": 15.00,
            "totalRevenue": 200000.00,
            "purchaseCount": 30,
            "lastPurchaseDate": "2025-11-30",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    _assert_client_shape(body)
    assert body["name"] == "Иван Петрович Петров"
    assert body["phone"] == "+79009999999"
    assert (body["segment"], body["discount"]) == ("VIP", "15.00")
    assert (body["totalRevenue"], body["purchaseCount"], body["averageCheck"]) == ("200000.00", 30, "6666.67")
    # A date alone is midnight in the store's time zone (Asia/Tashkent, UTC+5).
    assert body["lastPurchaseDate"] == "2025-11-29T19:00:00.000Z"
    assert body["email"] == "ivan@example.com"  # not sent: kept


def test_update_curl_example(tenant, owner):
    created = _create(owner.client, {"clientType": "individual", "name": "Иван Петров", "phone": "+79001234567"})
    response = owner.client.put(
        f"/api/clients/{created['id']}",
        {"segment": "VIP", "discount": 15.00, "notes": "Обновлен статус до VIP"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    documented = {"id": created["id"], "organizationId": tenant.pk, "clientType": "individual"}
    documented |= {"name": "Иван Петров", "phone": "+79001234567", "segment": "VIP", "discount": "15.00"}
    documented |= {"notes": "Обновлен статус до VIP", "status": "active"}
    assert {k: body[k] for k in documented} == documented


# --- 5. delete -----------------------------------------------------------------------------------


def test_delete(tenant, owner):
    created = _create(owner.client, {"name": "Иван Петров", "phone": "+79001234567"})
    response = owner.client.delete(f"/api/clients/{created['id']}")
    assert response.status_code == 200
    assert response.json() == {"message": "Client deleted successfully"}
    assert not Customer.objects.filter(pk=created["id"]).exists()
    assert owner.client.get(f"/api/clients/{created['id']}").status_code == 404


# --- 6. stats ------------------------------------------------------------------------------------


def test_stats_shape(tenant, owner):
    alpha = _create(owner.client, {"clientType": "company", "name": "ООО Альфа", "email": "alpha@company.ru"})
    _create(owner.client, {"name": "ИП Сидоров", "email": "sidorov@mail.ru", "segment": "VIP", "status": "potential"})
    owner.client.put(f"/api/clients/{alpha['id']}", {"segment": "wholesale", "totalRevenue": 2500000}, format="json")
    response = owner.client.get("/api/clients/stats")
    assert response.status_code == 200
    assert response.json() == {
        "total": 2,
        "byStatus": {"active": 1, "inactive": 0, "blocked": 0, "potential": 1},
        "byType": {"individual": 1, "company": 1},
        "revenue": {"total": 2500000.0, "average": 1250000.0},
        "topClients": [
            {
                "id": alpha["id"],
                "name": "ООО Альфа",
                "email": "alpha@company.ru",
                "totalRevenue": "2500000.00",
                "segment": "wholesale",
            }
        ],
        "segmentDistribution": [
            {"segment": "regular", "count": 0},
            {"segment": "VIP", "count": 1},
            {"segment": "wholesale", "count": 1},
            {"segment": "retail", "count": 0},
        ],
    }


# --- 7. import -----------------------------------------------------------------------------------


def test_import_body_example(tenant, owner):
    response = owner.client.post(
        "/api/clients/import",
        {
            "clients": [
                {
                    "clientType": "individual",
                    "name": "Алексей Смирнов",
                    "email": "smirnov@example.com",
                    "phone": "+79111111111",
                    "status": "active",
                },
                {
                    "clientType": "company",
                    "name": "ООО Бета",
                    "companyName": "Общество с ограниченной ответственностью Бета",
                    "email": "info@beta.ru",
                    "phone": "+74952222222",
                    "taxId": "7707654321",
                    "status": "active",
                },
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Import completed", "results": {"success": 2, "failed": 0, "errors": []}}
    beta = Customer.objects.get(tenant=tenant, email="info@beta.ru")
    assert (beta.customer_type, beta.tax_id, beta.phone) == ("company", "7707654321", "+74952222222")


def test_import_curl_example(tenant, owner):
    response = owner.client.post(
        "/api/clients/import",
        {
            "clients": [
                {"name": "Тест Клиент 1", "email": "test1@example.com", "phone": "+79001111111"},
                {"name": "Тест Клиент 2", "email": "test2@example.com", "phone": "+79002222222"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Import completed", "results": {"success": 2, "failed": 0, "errors": []}}
    assert Customer.objects.filter(tenant=tenant).count() == 2


def test_import_with_errors_answers_as_documented(tenant, owner):
    _create(owner.client, {"name": "Existing", "email": "existing@example.com"})
    response = owner.client.post(
        "/api/clients/import",
        {
            "clients": [
                {"name": "Тест Клиент 4", "email": "new@example.com"},
                {"name": "Тест Клиент 3", "email": "existing@example.com"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Import completed",
        "results": {
            "success": 1,
            "failed": 1,
            "errors": [
                {
                    "client": {"name": "Тест Клиент 3", "email": "existing@example.com"},
                    "error": "Client with this email already exists",
                }
            ],
        },
    }


# --- 8. export -----------------------------------------------------------------------------------


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_export_json(tenant, owner, anna):
    created = _create(owner.client, _with_manager(INDIVIDUAL, anna))
    response = owner.client.get("/api/clients/export?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="clients-')
    assert response["Content-Disposition"].endswith('.json"')
    rows = json.loads(_content(response))
    assert rows == [created]
    # json is the default format
    assert json.loads(_content(owner.client.get("/api/clients/export"))) == [created]


def test_export_csv_as_documented(tenant, owner, anna):
    ivan = _create(owner.client, _with_manager({**INDIVIDUAL, "tags": None}, anna))
    owner.client.put(f"/api/clients/{ivan['id']}", {"totalRevenue": 150000, "purchaseCount": 25}, format="json")
    alpha = _create(
        owner.client,
        {
            "clientType": "company",
            "name": "ООО Альфа",
            "companyName": "ООО Альфа",
            "email": "alpha@company.ru",
            "phone": "+74951234567",
            "segment": "wholesale",
            "source": "website",
        },
    )
    response = owner.client.get("/api/clients/export?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    raw = _content(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel keeps the Cyrillic
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == [
        str(ivan["id"]),
        "individual",
        "Иван Петров",
        "ivan@example.com",
        "+79001234567",
        "",
        "active",
        "VIP",
        "whatsapp",
        "150000",
        "Анна Менеджер",
        ivan["createdAt"],
    ]
    assert rows[2][:11] == [
        str(alpha["id"]),
        "company",
        "ООО Альфа",
        "alpha@company.ru",
        "+74951234567",
        "ООО Альфа",
        "active",
        "wholesale",
        "website",
        "0",
        "",
    ]
    assert lines[1].startswith(f'"{ivan["id"]}","individual","Иван Петров"')  # every value quoted


# --- the document's JavaScript examples ----------------------------------------------------------


def test_js_create_individual_client(tenant, owner):
    body = _create(
        owner.client,
        {
            "clientType": "individual",
            "name": "Мария Иванова",
            "email": "maria@example.com",
            "phone": "+79165551234",
            "address": "ул. Пушкина, 15",
            "city": "Санкт-Петербург",
            "status": "active",
            "source": "telegram",
            "segment": "regular",
            "emailSubscribed": True,
        },
    )
    assert (body["name"], body["source"], body["segment"], body["emailSubscribed"]) == (
        "Мария Иванова",
        "telegram",
        "regular",
        True,
    )


def test_js_create_company_client(tenant, owner):
    body = _create(
        owner.client,
        {
            "clientType": "company",
            "name": "ООО Техносервис",
            "companyName": "Общество с ограниченной ответственностью Техносервис",
            "email": "info@technoservice.ru",
            "phone": "+74959876543",
            "website": "https://technoservice.ru",
            "taxId": "7728123456",
            "registrationNumber": "1027700987654",
            "legalAddress": "г. Москва, ул. Ленина, д. 50",
            "contactPerson": "Петр Сидоров",
            "contactPosition": "Генеральный директор",
            "contactPhone": "+79261234567",
            "contactEmail": "sidorov@technoservice.ru",
            "status": "active",
            "segment": "wholesale",
            "discount": 20.00,
        },
    )
    assert (body["clientType"], body["name"], body["discount"], body["contactPhone"]) == (
        "company",
        "ООО Техносервис",
        "20.00",
        "+79261234567",
    )


def test_js_search_clients(tenant, owner):
    for name, phone in (("Мария Иванова", "+79165551234"), ("Анна Иванова", "+79165551235"), ("Олег", "+79165551236")):
        _create(owner.client, {"name": name, "phone": phone})
    response = owner.client.get("/api/clients?search=Иванова&page=1&limit=20&sortBy=name&sortOrder=asc")
    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body["clients"]] == ["Анна Иванова", "Мария Иванова"]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1}


def test_js_update_client_revenue(tenant, owner):
    """`updateClientRevenue(clientId, 5000)` as the document writes it: floating-point sums and an
    unrounded average check."""
    created = _create(owner.client, {"name": "Иван Петров", "phone": "+79001234567"})
    owner.client.put(f"/api/clients/{created['id']}", {"totalRevenue": 150000.1, "purchaseCount": 25}, format="json")
    client = owner.client.get(f"/api/clients/{created['id']}").json()
    purchase_amount = 5000.2
    total = float(client["totalRevenue"] or 0) + purchase_amount  # 155000.30000000002 in JavaScript too
    count = (client["purchaseCount"] or 0) + 1
    response = owner.client.put(
        f"/api/clients/{created['id']}",
        {
            "totalRevenue": total,
            "purchaseCount": count,
            "lastPurchaseDate": "2025-12-01T10:30:00.000Z",
            "averageCheck": total / count,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["totalRevenue"], body["purchaseCount"], body["averageCheck"]) == ("155000.30", 26, "5961.55")
    assert body["lastPurchaseDate"] == "2025-12-01T10:30:00.000Z"


# --- errors --------------------------------------------------------------------------------------


def test_errors_are_400_401_404(tenant, owner, anon, other_tenant):
    assert anon.get("/api/clients").status_code == 401
    response = owner.client.post("/api/clients", {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "name" in body["errors"]
    foreign = Member(other_tenant, Role.OWNER)
    other = _create(foreign.client, {"name": "Чужой"})
    assert owner.client.get(f"/api/clients/{other['id']}").status_code == 404
