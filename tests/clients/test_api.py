"""Document 002's clients surface beyond its examples: validation (statuses, segments, managers,
international phones, uniqueness), updates of only the fields sent, the manual statistics
adjustment and its change log, deletion of a client with sales, every list filter and sort, the
tags API, import limits and per-row errors, export filters and streaming, roles."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savdo.audit.models import ChangeLogEntry
from savdo.customers.constants import IMPORT_MAX_ROWS
from savdo.customers.models import Customer, CustomerStatus, Tag
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, TagFactory
from tests.factories import MembershipFactory
from tests.inventory.factories import receive
from tests.sales.factories import open_shift, sell


@pytest.fixture
def owner(tenant):
    return Member(tenant, Role.OWNER)


def _post(member, body):
    return member.client.post("/api/clients", body, format="json")


def _create(member, **body) -> dict:
    body.setdefault("name", "Иван Петров")
    response = _post(member, body)
    assert response.status_code == 201, response.content
    return response.json()


def _errors(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    return body["errors"]


# --- vocabulary and validation -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["waiting", "suspended", "ACTIVE", "bogus"])
def test_statuses_outside_the_document_are_400(owner, status):
    assert "status" in _errors(_post(owner, {"name": "X", "status": status}))
    assert not Customer.objects.exists()


@pytest.mark.parametrize("segment", ["vip", "gold", ""])
def test_segments_outside_the_document_are_400(owner, segment):
    assert "segment" in _errors(_post(owner, {"name": "X", "segment": segment}))


def test_other_surfaces_statuses_read_as_the_nearest_of_the_four(tenant, owner):
    waiting = CustomerFactory(tenant=tenant, status=CustomerStatus.WAITING)
    suspended = CustomerFactory(tenant=tenant, status=CustomerStatus.SUSPENDED)
    assert owner.client.get(f"/api/clients/{waiting.pk}").json()["status"] == "potential"
    assert owner.client.get(f"/api/clients/{suspended.pk}").json()["status"] == "inactive"
    ids = [r["id"] for r in owner.client.get("/api/clients?status=potential").json()["clients"]]
    assert ids == [waiting.pk]
    stats = owner.client.get("/api/clients/stats").json()
    assert stats["byStatus"] == {"active": 0, "inactive": 1, "blocked": 0, "potential": 1}


def test_assigned_user_must_be_an_active_member_of_the_store(tenant, other_tenant, owner):
    outsider = Member(other_tenant, Role.MANAGER)
    gone = MembershipFactory(tenant=tenant, role=Role.MANAGER, is_active=False)
    for user_id in (outsider.user.pk, gone.user.pk, 999999, "abc", 0):
        errors = _errors(_post(owner, {"name": "X", "assignedUserId": user_id}))
        assert list(errors) == ["assignedUserId"], errors
    assert not Customer.objects.exists()
    manager = Member(tenant, Role.MANAGER)
    body = _create(owner, assignedUserId=manager.user.pk)
    assert body["assignedUser"]["id"] == manager.user.pk
    # null unassigns; a PUT without the field keeps the manager
    assert owner.client.put(f"/api/clients/{body['id']}", {"notes": "x"}, format="json").json()["assignedUserId"]
    cleared = owner.client.put(f"/api/clients/{body['id']}", {"assignedUserId": None}, format="json").json()
    assert (cleared["assignedUserId"], cleared["assignedUser"]) == (None, None)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("+79001234567", "+79001234567"),
        ("+996555123456", "+996555123456"),
        ("+998901234567", "+998901234567"),
        ("+7 (900) 123-45-67", "+79001234567"),
    ],
)
def test_international_phones_are_valid_for_their_own_country(owner, sent, stored):
    assert _create(owner, phone=sent)["phone"] == stored


@pytest.mark.parametrize("phone", ["901234567", "89001234567", "+7900", "+99890123", "phone", "+1 000 000 0000"])
def test_bad_or_national_phones_are_400(owner, phone):
    assert list(_errors(_post(owner, {"name": "X", "phone": phone}))) == ["phone"]


def test_phone_and_email_are_unique_per_store(tenant, other_tenant, owner):
    _create(owner, phone="+79001234567", email="ivan@example.com")
    errors = _errors(_post(owner, {"name": "Y", "phone": "+7 900 123 45 67"}))
    assert errors == {"phone": ["Client with this phone already exists"]}
    errors = _errors(_post(owner, {"name": "Y", "email": "IVAN@example.com"}))
    assert errors == {"email": ["Client with this email already exists"]}
    assert Customer.objects.count() == 1
    # another store may have them
    _create(Member(other_tenant, Role.OWNER), phone="+79001234567", email="ivan@example.com")


def test_bad_values_name_their_field(owner):
    errors = _errors(
        _post(
            owner,
            {
                "name": "",
                "email": "not-an-email",
                "discount": 101,
                "birthday": "20.05.1985",
                "clientType": "person",
                "website": "x" * 300,
                "tags": "[oops",
            },
        )
    )
    assert set(errors) == {"name", "email", "discount", "birthday", "clientType", "website", "tags"}


def test_a_company_without_company_name_is_named_by_its_name(owner):
    body = _create(owner, clientType="company", name="ООО Ромашка")
    assert (body["companyName"], body["name"]) == ("ООО Ромашка", "ООО Ромашка")


def test_tenant_in_payload_is_ignored(tenant, other_tenant, owner):
    body = _create(owner, organizationId=other_tenant.pk, tenant=other_tenant.pk)
    assert body["organizationId"] == tenant.pk


# --- tags on clients -----------------------------------------------------------------------------


def test_tags_as_json_string_list_of_names_or_ids(tenant, other_tenant, owner):
    vip = TagFactory(tenant=tenant, name="VIP")
    assert [t["name"] for t in _create(owner, tags='["VIP", "Новый"]')["tags"]] == ["VIP", "Новый"]
    assert [t["id"] for t in _create(owner, name="B", tags=[vip.pk])["tags"]] == [vip.pk]
    assert [t["name"] for t in _create(owner, name="C", tags=["vip", "новый"])["tags"]] == ["VIP", "Новый"]
    assert [t["name"] for t in _create(owner, name="D", tags="VIP, Опт")["tags"]] == ["VIP", "Опт"]
    assert Tag.objects.filter(tenant=tenant).count() == 3
    foreign = TagFactory(tenant=other_tenant)
    for bad in ([foreign.pk], [999999]):
        assert _errors(_post(owner, {"name": "E", "tags": bad})) == {"tags": ["Тег не найден"]}
    assert not Customer.objects.filter(display_name="E").exists()


def test_put_tags_replaces_them_and_null_clears(tenant, owner):
    body = _create(owner, tags=["VIP", "Опт"])
    changed = owner.client.put(f"/api/clients/{body['id']}", {"tags": ["Опт"]}, format="json").json()
    assert [t["name"] for t in changed["tags"]] == ["Опт"]
    kept = owner.client.put(f"/api/clients/{body['id']}", {"notes": "n"}, format="json").json()
    assert [t["name"] for t in kept["tags"]] == ["Опт"]
    cleared = owner.client.put(f"/api/clients/{body['id']}", {"tags": None}, format="json").json()
    assert cleared["tags"] == []


# --- updates -------------------------------------------------------------------------------------


def test_put_and_patch_change_only_the_fields_sent(owner):
    body = _create(owner, email="a@example.com", phone="+79001234567", city="Москва", segment="VIP")
    for method in ("put", "patch"):
        response = getattr(owner.client, method)(f"/api/clients/{body['id']}", {"city": "Казань"}, format="json")
        assert response.status_code == 200
        after = response.json()
        assert after["city"] == "Казань"
        for key in ("name", "email", "phone", "segment", "status", "clientType"):
            assert after[key] == body[key]


def test_a_refused_update_changes_nothing(owner):
    body = _create(owner, phone="+79001234567")
    _create(owner, name="Other", phone="+79001234568")
    response = owner.client.put(
        f"/api/clients/{body['id']}", {"name": "New", "phone": "+79001234568", "totalRevenue": 5}, format="json"
    )
    assert response.status_code == 400
    customer = Customer.objects.get(pk=body["id"])
    assert (customer.full_name, customer.phone, customer.total_purchases) == ("Иван Петров", "+79001234567", 0)
    assert not ChangeLogEntry.objects.filter(action="manual_statistics").exists()


def test_manual_statistics_are_logged_with_old_and_new_values(tenant, owner):
    body = _create(owner)
    response = owner.client.put(
        f"/api/clients/{body['id']}",
        {"totalRevenue": "200000.00", "purchaseCount": 30, "lastPurchaseDate": "2025-11-30T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 200
    entry = ChangeLogEntry.objects.get(action="manual_statistics")
    assert (entry.tenant_id, entry.actor_id, entry.object_id) == (tenant.pk, owner.user.pk, body["id"])
    assert entry.changes == {
        "total_purchases": ["0.00", "200000.00"],
        "total_purchases_count": [0, 30],
        "last_purchase_at": [None, "2025-11-30T10:00:00+00:00"],
        "average_check": ["0.00", "6666.67"],
    }
    # the same values again: nothing changed, nothing logged
    owner.client.put(f"/api/clients/{body['id']}", {"totalRevenue": 200000, "purchaseCount": 30}, format="json")
    assert ChangeLogEntry.objects.filter(action="manual_statistics").count() == 1


@pytest.mark.parametrize("moment", ["0138-05-29", "1923-12-31T23:00:00Z", "0001-01-01T00:00:00+05:00"])
def test_a_last_purchase_before_1970_is_a_400(owner, moment):
    # Read back in the store's zone, such a moment had local mean time's offset with seconds
    # (Asia/Tashkent +04:37:11): not RFC 3339, the schema's date-time (found by tools/fuzz_api.py).
    body = _create(owner)
    response = owner.client.patch(f"/api/clients/{body['id']}", {"lastPurchaseDate": moment}, format="json")
    assert list(_errors(response)) == ["lastPurchaseDate"]
    assert Customer.objects.get(pk=body["id"]).last_purchase_at is None


def test_average_check_must_agree_with_total_and_count(owner):
    body = _create(owner)
    path = f"/api/clients/{body['id']}"
    errors = _errors(
        owner.client.put(path, {"totalRevenue": 100, "purchaseCount": 4, "averageCheck": 30}, format="json")
    )
    assert list(errors) == ["averageCheck"]
    assert Customer.objects.get(pk=body["id"]).total_purchases == 0
    ok = owner.client.put(path, {"totalRevenue": 100, "purchaseCount": 3, "averageCheck": 33.333333}, format="json")
    assert ok.json()["averageCheck"] == "33.33"
    # averageCheck alone is checked against the stored total and count
    assert owner.client.put(path, {"averageCheck": 33.33}, format="json").status_code == 200
    assert owner.client.put(path, {"averageCheck": 50}, format="json").status_code == 400


@pytest.mark.parametrize(
    "body",
    [{"totalRevenue": -1}, {"purchaseCount": -1}, {"totalRevenue": "12.345"}, {"totalRevenue": True}],
)
def test_bad_statistics_are_400(owner, body):
    created = _create(owner)
    assert owner.client.put(f"/api/clients/{created['id']}", body, format="json").status_code == 400


@pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
def test_only_managers_adjust_statistics(tenant, owner, role):
    body = _create(owner)
    member = Member(tenant, role)
    response = member.client.put(f"/api/clients/{body['id']}", {"totalRevenue": 5, "notes": "x"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(pk=body["id"]).notes == ""
    # their ordinary edits are fine
    assert member.client.put(f"/api/clients/{body['id']}", {"notes": "x"}, format="json").status_code == 200


def test_a_cashier_saves_a_whole_client_back_with_its_statistics_unchanged(tenant, owner):
    created = _create(owner)
    Customer.objects.filter(pk=created["id"]).update(
        total_purchases=Decimal("1234.50"), total_purchases_count=3, last_purchase_at=timezone.now()
    )
    cashier = Member(tenant, Role.CASHIER)
    client = cashier.client.get(f"/api/clients/{created['id']}").json()
    saved = cashier.client.put(f"/api/clients/{created['id']}", {**client, "notes": "called back"}, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["notes"], saved.json()["totalRevenue"], saved.json()["purchaseCount"]) == (
        "called back",
        "1234.50",
        3,
    )
    assert saved.json()["lastPurchaseDate"] == client["lastPurchaseDate"]
    assert not ChangeLogEntry.objects.filter(action="manual_statistics").exists()
    # a changed figure in the same body is still an adjustment, and refused
    refused = cashier.client.put(f"/api/clients/{created['id']}", {**client, "purchaseCount": 4}, format="json")
    assert refused.status_code == 403


def test_statistics_sent_with_a_create_are_ignored(owner):
    body = _create(owner, totalRevenue=500, purchaseCount=3)
    assert (body["totalRevenue"], body["purchaseCount"]) == ("0.00", 0)


# --- delete --------------------------------------------------------------------------------------


def test_a_client_with_sales_is_refused_and_kept(tenant, owner):
    customer = CustomerFactory(tenant=tenant)
    cashier = Member(tenant, Role.CASHIER)
    milk = ProductFactory(tenant=tenant)
    receive(milk, 5)
    sell(cashier.membership, [(milk, 1)], session=open_shift(cashier.membership), customer=customer)
    response = owner.client.delete(f"/api/clients/{customer.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["message"] == (
        "У этого клиента есть продажи, удалить его нельзя. Вместо этого установите статус inactive."
    )
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not ChangeLogEntry.objects.filter(action="delete").exists()


def test_delete_keeps_tags_and_logs(tenant, owner):
    body = _create(owner, tags=["VIP"])
    assert owner.client.delete(f"/api/clients/{body['id']}").status_code == 200
    assert Tag.objects.filter(tenant=tenant, name="VIP").exists()
    assert ChangeLogEntry.objects.filter(action="delete", object_id=body["id"]).exists()


# --- list ----------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(tenant, owner):
    manager = Member(tenant, Role.MANAGER)
    vip, opt = TagFactory(tenant=tenant, name="VIP"), TagFactory(tenant=tenant, name="Опт")
    rows = {
        "anna": _create(owner, name="Анна Смирнова", email="anna@mail.ru", segment="VIP", tags=[vip.pk]),
        "boris": _create(
            owner, name="Борис", phone="+79001112233", status="inactive", assignedUserId=manager.user.pk, tags=[opt.pk]
        ),
        "romashka": _create(
            owner,
            clientType="company",
            name="ООО Ромашка",
            companyName="Ромашка Трейд",
            segment="wholesale",
            tags=[vip.pk, opt.pk],
        ),
    }
    owner.client.put(f"/api/clients/{rows['boris']['id']}", {"totalRevenue": 500, "purchaseCount": 2}, format="json")
    owner.client.put(f"/api/clients/{rows['anna']['id']}", {"totalRevenue": 100, "purchaseCount": 1}, format="json")
    return {"manager": manager, "vip": vip, "opt": opt, **{k: v["id"] for k, v in rows.items()}}


def _names(owner, query):
    response = owner.client.get(f"/api/clients?{query}")
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["clients"]]


def test_every_filter(owner, catalogue):
    assert _names(owner, "status=inactive") == ["Борис"]
    assert _names(owner, "segment=wholesale") == ["ООО Ромашка"]
    assert _names(owner, "clientType=company") == ["ООО Ромашка"]
    assert _names(owner, f"assignedUserId={catalogue['manager'].user.pk}") == ["Борис"]
    assert _names(owner, f"tags={catalogue['vip'].pk}") == ["ООО Ромашка", "Анна Смирнова"]
    assert _names(owner, f"tags={catalogue['vip'].pk},{catalogue['opt'].pk}") == [
        "ООО Ромашка",
        "Борис",
        "Анна Смирнова",
    ]
    assert _names(owner, "search=anna@mail") == ["Анна Смирнова"]
    assert _names(owner, "search=%2B7900111") == ["Борис"]
    assert _names(owner, "search=трейд") == ["ООО Ромашка"]
    assert _names(owner, "search=смирнова") == ["Анна Смирнова"]
    assert _names(owner, "tags=999999") == []


def test_every_sort(owner, catalogue):
    assert _names(owner, "") == ["ООО Ромашка", "Борис", "Анна Смирнова"]  # createdAt desc
    assert _names(owner, "sortBy=createdAt&sortOrder=asc") == ["Анна Смирнова", "Борис", "ООО Ромашка"]
    assert _names(owner, "sortBy=name&sortOrder=asc") == ["Анна Смирнова", "Борис", "ООО Ромашка"]
    assert _names(owner, "sortBy=totalRevenue") == ["Борис", "Анна Смирнова", "ООО Ромашка"]
    assert _names(owner, "sortBy=purchaseCount&sortOrder=asc") == ["ООО Ромашка", "Анна Смирнова", "Борис"]
    assert _names(owner, "sortBy=updatedAt")[0] == "Анна Смирнова"


@pytest.mark.parametrize(
    "query",
    [
        "status=waiting",
        "segment=gold",
        "clientType=person",
        "assignedUserId=abc",
        "tags=a,b",
        "sortBy=password",
        "sortOrder=up",
        "page=0",
        "limit=-1",
        "page=x",
    ],
)
def test_bad_list_parameters_are_400(owner, query):
    response = owner.client.get(f"/api/clients?{query}")
    assert response.status_code == 400, query
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_pagination(tenant, owner):
    CustomerFactory.create_batch(5, tenant=tenant)
    body = owner.client.get("/api/clients?page=2&limit=2").json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5, "totalPages": 3}
    assert len(body["clients"]) == 2
    past = owner.client.get("/api/clients?page=9&limit=2").json()
    assert past["clients"] == [] and past["pagination"]["total"] == 5


def test_list_and_stats_cost_the_same_queries_at_any_page_size(tenant, owner, settings):
    settings.SAVDO_CACHED_COUNTS = False
    manager = Member(tenant, Role.MANAGER)
    tags = [TagFactory(tenant=tenant) for _ in range(3)]

    def add(n):
        for _ in range(n):
            customer = CustomerFactory(tenant=tenant, assigned_to=manager.user, total_purchases=Decimal("10"))
            customer.tags.set(tags)

    add(2)
    counts: dict[str, list[int]] = {}
    for size in (2, 40):
        if size == 40:
            add(40)
        paths = {
            "list": f"/api/clients?limit={size}",
            "filtered": f"/api/clients?limit={size}&tags={tags[0].pk}&search=ali&sortBy=name",
            "by revenue (ids first)": f"/api/clients?limit={size}&sortBy=totalRevenue",
            "stats": "/api/clients/stats",
        }
        for name, path in paths.items():
            owner.client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                assert owner.client.get(path).status_code == 200
            counts.setdefault(name, []).append(len(ctx))
    for name, (few, many) in counts.items():
        assert few == many, (name, few, many)


# --- tags API ------------------------------------------------------------------------------------


def test_tags_crud_with_usage_counts(tenant, owner):
    created = owner.client.post("/api/clients/tags", {"name": "VIP", "color": "#FFD700"}, format="json")
    assert created.status_code == 201
    tag = created.json()
    assert {k: tag[k] for k in ("name", "color", "usageCount")} == {"name": "VIP", "color": "#FFD700", "usageCount": 0}
    _create(owner, tags=[tag["id"]])
    _create(owner, name="Другой", tags=["VIP"])
    listed = owner.client.get("/api/clients/tags").json()
    assert [(t["name"], t["usageCount"]) for t in listed["tags"]] == [("VIP", 2)]
    assert listed["pagination"]["total"] == 1
    got = owner.client.get(f"/api/clients/tags/{tag['id']}").json()
    assert got["usageCount"] == 2
    renamed = owner.client.put(f"/api/clients/tags/{tag['id']}", {"color": "#000000"}, format="json").json()
    assert (renamed["name"], renamed["color"]) == ("VIP", "#000000")
    deleted = owner.client.delete(f"/api/clients/tags/{tag['id']}")
    assert deleted.status_code == 200
    assert Customer.objects.filter(tenant=tenant).count() == 2
    assert all(c["tags"] == [] for c in owner.client.get("/api/clients").json()["clients"])


def test_tag_names_are_unique_per_store_and_colours_are_rrggbb(tenant, other_tenant, owner):
    owner.client.post("/api/clients/tags", {"name": "VIP"}, format="json")
    for name in ("VIP", "vip", " VIP "):
        assert "name" in _errors(owner.client.post("/api/clients/tags", {"name": name}, format="json"))
    for color in ("red", "#FFF", "#GGGGGG", "FFD700"):
        assert "color" in _errors(owner.client.post("/api/clients/tags", {"name": "X", "color": color}, format="json"))
    assert "name" in _errors(owner.client.post("/api/clients/tags", {"name": ""}, format="json"))
    assert Tag.objects.filter(tenant=tenant).count() == 1
    other = Member(other_tenant, Role.OWNER)
    assert other.client.post("/api/clients/tags", {"name": "VIP"}, format="json").status_code == 201
    kept = owner.client.post("/api/clients/tags", {"name": "Lower", "color": "#ffd700"}, format="json").json()
    assert kept["color"] == "#ffd700"


def test_tag_list_search_and_stale_counts(tenant, owner):
    first = owner.client.post("/api/clients/tags", {"name": "Постоянный"}, format="json").json()
    owner.client.post("/api/clients/tags", {"name": "Опт"}, format="json")
    assert [t["name"] for t in owner.client.get("/api/clients/tags?search=пост").json()["tags"]] == ["Постоянный"]
    client = _create(owner, tags=[first["id"]])
    assert owner.client.get(f"/api/clients?tags={first['id']}").json()["pagination"]["total"] == 1
    owner.client.delete(f"/api/clients/tags/{first['id']}")
    # the cached total of that filter is dropped with the tag's links
    assert owner.client.get(f"/api/clients?tags={first['id']}").json()["pagination"]["total"] == 0
    assert client["id"]


# --- import --------------------------------------------------------------------------------------


def test_import_rows_fail_alone_with_their_reasons(tenant, owner):
    _create(owner, name="Existing", phone="+79000000001")
    rows = [
        {"name": "Good 1", "phone": "+79001111111", "tags": ["Импорт"]},
        {"name": "", "phone": "+79001111112"},
        {"phone": "+79001111113"},
        {"name": "Bad phone", "phone": "12345"},
        {"name": "Same store phone", "phone": "+7 900 000 00 01"},
        {"name": "Good 2", "email": "dup@example.com"},
        {"name": "Same batch email", "email": "DUP@example.com"},
        {"name": "Same batch phone", "phone": "+79001111111"},
        {"name": "Bad status", "status": "waiting"},
        {"name": "Bad manager", "assignedUserId": 999999},
        "not an object",
    ]
    response = owner.client.post("/api/clients/import", {"clients": rows}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert (results["success"], results["failed"]) == (2, 9)
    errors = {
        e["client"].get("name", "-") if isinstance(e["client"], dict) else e["client"]: e["error"]
        for e in results["errors"]
    }
    assert errors["Same store phone"] == "Client with this phone already exists"
    assert errors["Same batch email"] == "Client with this email already exists"
    assert errors["Same batch phone"] == "Client with this phone already exists"
    assert errors["Bad phone"].startswith("phone: ")
    assert errors[""].startswith("name: ")
    assert errors["Bad status"].startswith("status: ")
    assert errors["Bad manager"].startswith("assignedUserId: ")
    assert errors["not an object"]
    assert errors["-"] == "name: Обязательное поле."
    assert results["errors"][0]["client"] == {"name": "", "phone": "+79001111112"}  # as sent, in order
    assert set(Customer.objects.filter(tenant=tenant).values_list("display_name", flat=True)) == {
        "Existing",
        "Good 1",
        "Good 2",
    }
    good = Customer.objects.get(display_name="Good 1")
    assert [t.name for t in good.tags.all()] == ["Импорт"]
    assert (good.first_name, good.search_text) == ("Good", "1\ngood\ngood 1\n79001111111")
    assert ChangeLogEntry.objects.filter(action="create", object_type="customers.customer").count() == 3


def test_import_writes_in_bulk(tenant, owner):
    rows = [{"name": f"Клиент {i}", "phone": f"+7900{i:07d}", "tags": ["A", "B"]} for i in range(300)]
    with CaptureQueriesContext(connection) as ctx:
        response = owner.client.post("/api/clients/import", {"clients": rows}, format="json")
    assert response.json()["results"]["success"] == 300
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    # customers, tags, tag links, change log (clients, tags), the data versions: one INSERT each on
    # PostgreSQL; SQLite caps a statement at 999 parameters, so its customers go some 19 rows an INSERT.
    limit = 6 if connection.vendor == "postgresql" else 31
    assert len(inserts) <= limit, [q["sql"][:80] for q in inserts]
    assert Customer.tags.through.objects.count() == 600


def test_import_over_the_limit_is_413_and_writes_nothing(owner, settings):
    settings.MAX_BODY_BYTES = 10 * 1024 * 1024
    rows = [{"name": "x"}] * (IMPORT_MAX_ROWS + 1)
    response = owner.client.post("/api/clients/import", {"clients": rows}, format="json")
    assert response.status_code == 413
    assert str(IMPORT_MAX_ROWS) in response.json()["message"].replace("\xa0", "").replace(" ", "")
    assert not Customer.objects.exists()


@pytest.mark.parametrize("body", [{}, {"clients": "x"}, {"clients": {"name": "x"}}, []])
def test_import_bad_bodies_are_400(owner, body):
    assert owner.client.post("/api/clients/import", body, format="json").status_code == 400


# --- export --------------------------------------------------------------------------------------


def _export(member, query=""):
    response = member.client.get(f"/api/clients/export?{query}")
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def test_export_honours_the_list_filters_and_store(tenant, other_tenant, owner, catalogue):
    CustomerFactory(tenant=other_tenant)
    rows = json.loads(_export(owner, "format=json&segment=VIP"))
    assert [r["name"] for r in rows] == ["Анна Смирнова"]
    text = _export(owner, f"format=csv&tags={catalogue['opt'].pk}").decode("utf-8-sig")
    assert [r[2] for r in list(csv.reader(io.StringIO(text)))[1:]] == ["Борис", "ООО Ромашка"]
    everything = json.loads(_export(owner))
    assert {r["organizationId"] for r in everything} == {tenant.pk}
    assert len(everything) == 3


def test_export_bad_format_is_400(owner):
    response = owner.client.get("/api/clients/export?format=xlsx")
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_export_is_chunked(tenant, owner, monkeypatch):
    from savdo.customers import clients

    CustomerFactory.create_batch(7, tenant=tenant)
    monkeypatch.setattr(clients, "EXPORT_CHUNK", 3)
    original = clients.client_export_chunks
    seen = []

    def spy(queryset, chunk=3):
        for rows in original(queryset, chunk):
            seen.append(len(rows))
            yield rows

    monkeypatch.setattr(clients, "client_export_chunks", spy)
    assert len(json.loads(_export(owner))) == 7
    assert seen == [3, 3, 1]
    text = _export(owner, "format=csv").decode("utf-8-sig")
    assert len(text.splitlines()) == 8


def test_export_neutralises_spreadsheet_formulas(tenant, owner):
    _create(owner, name='=HYPERLINK("http://x")', source="@cmd")
    row = list(csv.reader(io.StringIO(_export(owner, "format=csv").decode("utf-8-sig"))))[1]
    assert (row[2], row[8]) == ('\'=HYPERLINK("http://x")', "'@cmd")


def test_export_of_another_store_is_not_reachable(anon, tenant):
    assert anon.get("/api/clients/export").status_code == 401


def test_a_client_other_records_protect_is_refused_and_kept(tenant, owner):
    from savdo.crm.models import Deal

    customer = CustomerFactory(tenant=tenant)
    Deal.objects.create(tenant=tenant, customer=customer, title="Опт")
    response = owner.client.delete(f"/api/clients/{customer.pk}")
    assert response.status_code == 409
    assert response.json()["message"] == "На этого клиента ссылаются другие записи, удалить его нельзя."
    assert Customer.objects.filter(pk=customer.pk).exists()
