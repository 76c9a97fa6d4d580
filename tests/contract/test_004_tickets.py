"""Document 004 §6 "Tickets API" (`/api/tickets/`): every documented route, action and filter, with
its status code and the exact body shape; the document's pagination, ordering and error formats.
Also the routes docs/tickets.md adds (comments, history, service levels)."""

from datetime import UTC, datetime

import pytest

from savdo.support.models import Ticket
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.support.factories import contract_of, make_ticket, staff

TICKET_KEYS = {
    "id",
    "number",
    "subject",
    "description",
    "category",
    "category_display",
    "priority",
    "priority_display",
    "status",
    "status_display",
    "customer",
    "customer_name",
    "contract",
    "contract_number",
    "assigned_to",
    "assigned_to_name",
    "created_by",
    "created_by_name",
    "due_date",
    "due_date_given",
    "first_response_due",
    "first_response_at",
    "is_overdue",
    "assigned_at",
    "started_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "reopen_count",
    "created_at",
    "updated_at",
}
DETAIL_KEYS = TICKET_KEYS | {"history", "comments"}
OVERDUE_KEYS = TICKET_KEYS | {"overdue_seconds", "overdue_by"}
HISTORY_KEYS = {
    "id",
    "action",
    "from_status",
    "to_status",
    "actor",
    "actor_name",
    "assignee",
    "assignee_name",
    "comment",
    "created_at",
}
COMMENT_KEYS = {"id", "text", "is_internal", "author", "author_name", "created_at"}
PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture
def agent(tenant):
    return Member(tenant, Role.AGENT)


@pytest.fixture
def owner(tenant):
    return Member(tenant, Role.OWNER)


def page(response, status=200) -> list[dict]:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == PAGE_KEYS
    return body["results"]


# --- Базовые операции ------------------------------------------------------------------------------------------


def test_post_creates_a_ticket(owner, tenant):
    customer = CustomerFactory(tenant=tenant)
    contract = contract_of(customer, number="CTR-2024-000001")
    body = {
        "subject": "Не работает мобильный интернет",
        "description": "С утра нет интернета на номере +996550123456",
        "category": "internet",
        "priority": "high",
        "customer": customer.pk,
        "contract": contract.pk,
    }
    response = owner.client.post("/api/tickets/", body, format="json")
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert set(ticket) == DETAIL_KEYS
    assert ticket["number"].startswith("TKT-") and len(ticket["number"]) == len("TKT-2025-000001")
    assert {key: ticket[key] for key in body} == body
    assert (ticket["status"], ticket["status_display"]) == ("new", "Новый")
    assert (ticket["category_display"], ticket["priority_display"]) == ("Мобильный интернет", "Высокий")
    assert (ticket["contract_number"], ticket["customer_name"]) == ("CTR-2024-000001", customer.full_name)
    assert (ticket["assigned_to"], ticket["created_by"]) == (None, owner.user.pk)
    assert ticket["comments"] == []
    assert [set(row) for row in ticket["history"]] == [HISTORY_KEYS]
    assert ticket["history"][0]["action"] == "create"


def test_get_lists_tickets_newest_first(owner, tenant):
    first, second = make_ticket(tenant), make_ticket(tenant)
    rows = page(owner.client.get("/api/tickets/"))
    assert [row["id"] for row in rows] == [second.pk, first.pk]
    assert all(set(row) == TICKET_KEYS for row in rows)


def test_get_one_ticket_with_history_and_comments(owner, tenant):
    ticket = make_ticket(tenant, assigned_to=owner.user)
    owner.client.post(f"/api/tickets/{ticket.pk}/comments/", {"text": "Перезвонили абоненту"}, format="json")
    response = owner.client.get(f"/api/tickets/{ticket.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert [(row["action"], row["from_status"], row["to_status"]) for row in body["history"]] == [
        ("create", "", "new"),
        ("assign", "new", "assigned"),
    ]
    assert [set(row) for row in body["comments"]] == [COMMENT_KEYS]


def test_put_updates_a_ticket(owner, tenant):
    customer = CustomerFactory(tenant=tenant)
    ticket = make_ticket(tenant, customer=customer)
    body = {"subject": "Списание за роуминг", "description": "", "category": "roaming", "priority": "low"}
    response = owner.client.put(f"/api/tickets/{ticket.pk}/", {**body, "customer": customer.pk}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == DETAIL_KEYS
    assert {key: response.json()[key] for key in body} == body


def test_patch_updates_part_of_a_ticket(owner, tenant):
    ticket = make_ticket(tenant)
    response = owner.client.patch(f"/api/tickets/{ticket.pk}/", {"priority": "critical"}, format="json")
    assert response.status_code == 200
    assert response.json()["priority"] == "critical"


def test_delete_removes_a_ticket(owner, tenant):
    ticket = make_ticket(tenant)
    response = owner.client.delete(f"/api/tickets/{ticket.pk}/")
    assert response.status_code == 204
    assert response.content == b""
    assert owner.client.get(f"/api/tickets/{ticket.pk}/").status_code == 404


# --- Дополнительные actions ---------------------------------------------------------------------------------------


def test_the_documented_actions_take_a_complaint_from_new_to_closed_and_back(owner, agent, tenant):
    ticket = make_ticket(tenant)
    base = f"/api/tickets/{ticket.pk}"
    steps = [
        ("assign", {"user_id": agent.user.pk}, "assigned"),
        ("start_work", None, "in_progress"),
        ("resolve", {"resolution": "Проблема решена путем перенастройки APN"}, "resolved"),
        ("close", None, "closed"),
        ("reopen", None, "reopened"),
    ]
    for name, body, status in steps:
        response = (
            agent.client.post(f"{base}/{name}/", body, format="json") if body else agent.client.post(f"{base}/{name}/")
        )
        assert response.status_code == 200, (name, response.content)
        assert set(response.json()) == DETAIL_KEYS
        assert response.json()["status"] == status
    body = response.json()
    assert body["resolution"] == "Проблема решена путем перенастройки APN"
    assert [row["to_status"] for row in body["history"]] == [
        "new",
        "assigned",
        "in_progress",
        "resolved",
        "closed",
        "reopened",
    ]


def test_a_refused_action_is_a_400_in_the_documents_error_format(owner, tenant):
    ticket = make_ticket(tenant)
    response = owner.client.post(f"/api/tickets/{ticket.pk}/resolve/", {"resolution": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": f"Нельзя решить: тикет {ticket.number} в статусе «Новый» (new).",
    }


def test_a_validation_error_is_field_messages(owner, tenant):
    response = owner.client.post("/api/tickets/", {"customer": CustomerFactory(tenant=tenant).pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"subject": ["Обязательное поле."]}


def test_my_tickets_are_those_assigned_to_me(agent, tenant):
    mine = make_ticket(tenant, assigned_to=agent.user)
    make_ticket(tenant)
    rows = page(agent.client.get("/api/tickets/my_tickets/"))
    assert [row["id"] for row in rows] == [mine.pk]
    assert set(rows[0]) == TICKET_KEYS


def test_unassigned_tickets(agent, tenant):
    make_ticket(tenant, assigned_to=agent.user)
    nobodys = make_ticket(tenant)
    rows = page(agent.client.get("/api/tickets/unassigned/"))
    assert [row["id"] for row in rows] == [nobodys.pk]
    assert set(rows[0]) == TICKET_KEYS


def test_overdue_tickets_say_how_late_they_are(owner, tenant):
    late = make_ticket(tenant, due_date=datetime(2024, 1, 1, tzinfo=UTC))
    make_ticket(tenant)
    rows = page(owner.client.get("/api/tickets/overdue/"))
    assert [row["id"] for row in rows] == [late.pk]
    row = rows[0]
    assert set(row) == OVERDUE_KEYS
    assert row["is_overdue"] is True
    late_by = datetime.fromisoformat(row["updated_at"]) - datetime(2024, 1, 1, tzinfo=UTC)
    assert abs(row["overdue_seconds"] - late_by.total_seconds()) < 120
    days = row["overdue_seconds"] // 86400
    assert row["overdue_by"].startswith(f"{days} ")


def test_statistics(owner, agent, tenant):
    make_ticket(tenant, priority="critical", category="billing")
    make_ticket(tenant, assigned_to=agent.user)
    response = owner.client.get("/api/tickets/statistics/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "total",
        "by_status",
        "by_priority",
        "by_category",
        "overdue",
        "unassigned",
        "average_first_response_seconds",
        "average_resolution_seconds",
        "service_level",
    }
    assert body["total"] == 2
    assert body["by_status"] == {
        "new": 1,
        "assigned": 1,
        "in_progress": 0,
        "resolved": 0,
        "closed": 0,
        "reopened": 0,
    }
    assert body["by_priority"] == {"low": 0, "medium": 1, "high": 0, "critical": 1}
    assert set(body["by_category"]) == {
        "technical",
        "billing",
        "network",
        "internet",
        "sim_card",
        "tariff",
        "roaming",
        "number_porting",
        "account",
        "complaint",
        "consultation",
        "other",
    }
    assert (body["overdue"], body["unassigned"], body["average_first_response_seconds"]) == (0, 1, 0)
    assert body["average_resolution_seconds"] is None
    assert body["service_level"] == {
        "first_response": {"met": 1, "breached": 0, "met_percent": 100.0},
        "resolution": {"met": 0, "breached": 0, "met_percent": None},
    }


# --- Фильтрация ---------------------------------------------------------------------------------------------------


def test_the_documented_filters(owner, tenant):
    agent = staff(tenant, Role.AGENT)
    customer = CustomerFactory(tenant=tenant)
    new = make_ticket(tenant, subject="Нет интернета", category="technical", priority="high", customer=customer)
    other = make_ticket(tenant, subject="Счёт", category="billing", priority="low", assigned_to=agent.user)

    def ids(query):
        return [row["id"] for row in page(owner.client.get(f"/api/tickets/?{query}"))]

    assert ids("status=new") == [new.pk]
    assert ids("category=technical") == [new.pk]
    assert ids("priority=high") == [new.pk]
    assert ids(f"customer={customer.pk}") == [new.pk]
    assert ids(f"assigned_to={agent.user_id}") == [other.pk]
    assert ids("search=интернет") == [new.pk]
    assert ids("ordering=-created_at") == [other.pk, new.pk]


# --- Общие параметры ----------------------------------------------------------------------------------------------


def test_pagination_is_100_by_default_and_page_size_is_honoured(owner, tenant):
    membership = staff(tenant)
    customer = CustomerFactory(tenant=tenant)
    for _ in range(3):
        make_ticket(tenant, membership=membership, customer=customer)
    body = owner.client.get("/api/tickets/?page=2&page_size=2").json()
    assert (body["count"], len(body["results"]), body["previous"] is not None, body["next"]) == (3, 1, True, None)
    assert len(owner.client.get("/api/tickets/").json()["results"]) == 3
    assert Ticket.objects.count() == 3


def test_routes_answer_without_the_trailing_slash_too(owner, tenant):
    ticket = make_ticket(tenant)
    for path in (
        "/api/tickets",
        f"/api/tickets/{ticket.pk}",
        "/api/tickets/my_tickets",
        "/api/tickets/statistics",
        "/api/tickets/service-levels",
    ):
        assert owner.client.get(path).status_code == 200, path


def test_every_route_needs_a_token(anon, tenant):
    ticket = make_ticket(tenant)
    for path in ("/api/tickets/", f"/api/tickets/{ticket.pk}/", "/api/tickets/statistics/"):
        response = anon.get(path)
        assert response.status_code == 401
        assert set(response.json()) == {"status", "message"}


# --- Routes docs/tickets.md adds ------------------------------------------------------------------------------------


def test_comments_and_history_routes(owner, tenant):
    ticket = make_ticket(tenant)
    response = owner.client.post(
        f"/api/tickets/{ticket.pk}/comments/", {"text": "Внутренняя заметка", "is_internal": True}, format="json"
    )
    assert response.status_code == 201
    assert set(response.json()) == COMMENT_KEYS
    assert response.json()["is_internal"] is True
    comments = owner.client.get(f"/api/tickets/{ticket.pk}/comments/").json()
    assert [row["text"] for row in comments] == ["Внутренняя заметка"]
    history = owner.client.get(f"/api/tickets/{ticket.pk}/history/").json()
    assert [set(row) for row in history] == [HISTORY_KEYS]


def test_service_level_routes(owner):
    rows = owner.client.get("/api/tickets/service-levels/").json()
    assert [(row["priority"], row["first_response_minutes"], row["resolution_minutes"]) for row in rows] == [
        ("critical", 60, 240),
        ("high", 240, 1440),
        ("medium", 480, 4320),
        ("low", 1440, 7200),
    ]
    assert all(
        set(row) == {"priority", "priority_display", "first_response_minutes", "resolution_minutes", "is_default"}
        for row in rows
    )
    body = {"first_response_minutes": 30, "resolution_minutes": 120}
    response = owner.client.put("/api/tickets/service-levels/critical/", body, format="json")
    assert response.status_code == 200
    assert response.json() == {**body, "priority": "critical", "priority_display": "Критический", "is_default": False}
    response = owner.client.patch("/api/tickets/service-levels/critical/", {"resolution_minutes": 180}, format="json")
    assert response.json()["resolution_minutes"] == 180
    assert owner.client.get("/api/tickets/service-levels/critical/").json()["first_response_minutes"] == 30
    assert owner.client.delete("/api/tickets/service-levels/critical/").status_code == 204
    assert owner.client.get("/api/tickets/service-levels/critical/").json()["is_default"] is True
