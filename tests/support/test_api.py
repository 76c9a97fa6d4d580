"""`/api/tickets/` and `/api/tickets/service-levels/` through the API: the generic checks on every
route (401, another store's ticket is 404 on every object route and action, roles, constant query
counts), assigning another store's user refused, filters, search, ordering, validation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.audit.models import ChangeLogEntry
from savdo.support import services
from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.generic import EndpointChecks
from tests.support.factories import contract_of, make_ticket, staff

LIST = "/api/tickets/"
DETAIL = "/api/tickets/{pk}/"
ACTIONS = {
    "assign": lambda member: {"user_id": member.user.pk},
    "start_work": lambda member: {},
    "resolve": lambda member: {"resolution": "Готово"},
    "close": lambda member: {},
    "reopen": lambda member: {},
}


def create_payload(tenant) -> dict:
    return {"subject": "Нет связи", "customer": CustomerFactory(tenant=tenant).pk, "priority": "high"}


def ticket_row(ticket) -> dict:
    return Ticket.objects.filter(pk=ticket.pk).values().get()


# --- generic checks ---------------------------------------------------------------------------------------


class TestTicketEndpoints(EndpointChecks):
    list_path = LIST
    detail_path = DETAIL
    extra_paths = ["/api/tickets/{pk}/history/", "/api/tickets/{pk}/comments/"]
    create_payload = staticmethod(create_payload)
    model = Ticket
    forbidden = [
        ("delete", DETAIL, Role.MANAGER),
        ("delete", DETAIL, Role.AGENT),
        ("get", LIST, Role.CASHIER),
        ("post", LIST, Role.CASHIER),
        ("get", DETAIL, Role.CASHIER),
        ("patch", DETAIL, Role.CASHIER),
        ("delete", DETAIL, Role.CASHIER),
        *[("post", f"/api/tickets/{{pk}}/{name}/", Role.CASHIER) for name in ACTIONS],
        ("post", "/api/tickets/{pk}/comments/", Role.CASHIER),
        ("get", "/api/tickets/{pk}/history/", Role.CASHIER),
        ("get", "/api/tickets/my_tickets/", Role.CASHIER),
        ("get", "/api/tickets/unassigned/", Role.CASHIER),
        ("get", "/api/tickets/overdue/", Role.CASHIER),
        ("get", "/api/tickets/statistics/", Role.CASHIER),
    ]

    def make_object(self, tenant):
        return make_ticket(tenant)


class TestAgentTicketEndpoints(TestTicketEndpoints):
    """The same checks acting as a support agent (everything but deleting)."""

    actor_role = Role.AGENT
    forbidden = []

    def test_other_tenants_object_is_404(self, tenant, other_tenant):
        """As the base, without DELETE: an agent may not delete at all (403 before any lookup)."""
        mine = Member(tenant, self.actor_role)
        foreign = self.make_object(other_tenant)
        before = ticket_row(foreign)
        for template in self._object_paths():
            assert mine.client.get(self._path(template, foreign)).status_code == 404
        assert mine.client.patch(self._path(DETAIL, foreign), {"subject": "x"}, format="json").status_code == 404
        assert ticket_row(foreign) == before


class TestUnassignedEndpoints(EndpointChecks):
    list_path = "/api/tickets/unassigned/"
    model = Ticket

    def make_object(self, tenant):
        return make_ticket(tenant)


class TestOverdueEndpoints(EndpointChecks):
    list_path = "/api/tickets/overdue/"
    model = Ticket

    def make_object(self, tenant):
        return make_ticket(tenant, due_date=datetime(2024, 1, 1, tzinfo=UTC))


class TestMyTicketsEndpoints(EndpointChecks):
    list_path = "/api/tickets/my_tickets/"
    model = Ticket
    assignee = None

    def make_object(self, tenant):
        assignee = self.assignee if self.assignee and self.assignee.tenant_id == tenant.pk else None
        return make_ticket(tenant, assigned_to=assignee.user if assignee else None)

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, Role.AGENT)
        own = make_ticket(tenant, assigned_to=mine.user)
        not_mine = make_ticket(tenant, assigned_to=staff(tenant, Role.AGENT).user)
        foreign = make_ticket(other_tenant, assigned_to=staff(other_tenant, Role.AGENT).user)
        ids = [row["id"] for row in mine.client.get(self.list_path).json()["results"]]
        assert ids == [own.pk]
        assert not_mine.pk not in ids and foreign.pk not in ids

    def test_list_query_count_is_constant(self, tenant, settings):
        settings.SAVDO_CACHED_COUNTS = False
        mine = Member(tenant, Role.AGENT)
        self.assignee = mine.membership
        for _ in range(2):
            self.make_object(tenant)
        mine.client.get(self.list_path)
        with CaptureQueriesContext(connection) as few:
            assert mine.client.get(self.list_path).json()["count"] == 2
        for _ in range(10):
            self.make_object(tenant)
        with CaptureQueriesContext(connection) as many:
            assert mine.client.get(self.list_path).json()["count"] == 12
        assert len(many) == len(few)


# --- another store's ticket on every object route and action ---------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_on_another_stores_ticket_is_404_and_changes_nothing(tenant, other_tenant, name):
    owner = Member(tenant, Role.OWNER)
    foreign = make_ticket(other_tenant)
    before = ticket_row(foreign)
    response = owner.client.post(f"/api/tickets/{foreign.pk}/{name}/", ACTIONS[name](owner), format="json")
    assert response.status_code == 404, response.content
    assert response.json() == {"status": "error", "message": "Не найдено."}
    assert ticket_row(foreign) == before
    assert TicketHistory.objects.filter(ticket=foreign).count() == 1


def test_commenting_on_or_editing_another_stores_ticket_is_404(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    foreign = make_ticket(other_tenant)
    before = ticket_row(foreign)
    assert owner.client.post(f"/api/tickets/{foreign.pk}/comments/", {"text": "x"}, format="json").status_code == 404
    put = {**create_payload(tenant), "subject": "Чужой"}
    assert owner.client.put(f"/api/tickets/{foreign.pk}/", put, format="json").status_code == 404
    assert ticket_row(foreign) == before
    assert not TicketComment.objects.exists()


def test_assigning_a_user_of_another_store_is_refused(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    stranger = Member(other_tenant, Role.AGENT)
    ticket = make_ticket(tenant)
    before = ticket_row(ticket)
    response = owner.client.post(f"/api/tickets/{ticket.pk}/assign/", {"user_id": stranger.user.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"user_id": ["Не найдено."]}
    response = owner.client.patch(f"/api/tickets/{ticket.pk}/", {"assigned_to": stranger.user.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"assigned_to": ["Не найдено."]}
    assert ticket_row(ticket) == before


@pytest.mark.parametrize("user_id", [0, -1, "abc", True, 2**63, None])
def test_a_user_id_that_is_not_an_id_is_a_400(tenant, user_id):
    owner = Member(tenant, Role.OWNER)
    ticket = make_ticket(tenant)
    response = owner.client.post(f"/api/tickets/{ticket.pk}/assign/", {"user_id": user_id}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["user_id"]


def test_another_stores_customer_or_contract_is_not_found(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    foreign_customer = CustomerFactory(tenant=other_tenant)
    response = owner.client.post(LIST, {"subject": "x", "customer": foreign_customer.pk}, format="json")
    assert (response.status_code, response.json()) == (400, {"customer": ["Не найдено."]})
    payload = {
        "subject": "x",
        "customer": CustomerFactory(tenant=tenant).pk,
        "contract": contract_of(foreign_customer).pk,
    }
    response = owner.client.post(LIST, payload, format="json")
    assert (response.status_code, response.json()) == (400, {"contract": ["Не найдено."]})
    assert not Ticket.objects.exists()


# --- roles ----------------------------------------------------------------------------------------------------


def test_an_agent_takes_a_ticket_and_works_it_but_cannot_hand_it_over(tenant):
    agent = Member(tenant, Role.AGENT)
    colleague = Member(tenant, Role.AGENT)
    ticket = make_ticket(tenant)
    response = agent.client.post(f"/api/tickets/{ticket.pk}/assign/", {"user_id": colleague.user.pk}, format="json")
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": "Агент поддержки может назначить тикет только на себя."}
    assert agent.client.post(f"/api/tickets/{ticket.pk}/assign/", {"user_id": agent.user.pk}).status_code == 200
    response = colleague.client.post(f"/api/tickets/{ticket.pk}/start_work/", {}, format="json")
    assert response.status_code == 403
    assert (
        agent.client.post(f"/api/tickets/{ticket.pk}/start_work/", {}, format="json").json()["status"] == "in_progress"
    )


def test_only_the_owner_or_an_admin_deletes(tenant):
    ticket = make_ticket(tenant)
    admin = Member(tenant, Role.ADMIN)
    assert admin.client.delete(f"/api/tickets/{ticket.pk}/").status_code == 204
    assert not Ticket.objects.exists()
    entry = ChangeLogEntry.objects.get(object_type="support.ticket", action="delete")
    assert entry.actor_id == admin.user.pk


# --- actions, logs and the refused transition ------------------------------------------------------------------


def test_actions_are_logged_and_a_refused_one_is_a_400_naming_the_status(tenant):
    manager = Member(tenant, Role.MANAGER)
    ticket = make_ticket(tenant)
    response = manager.client.post(f"/api/tickets/{ticket.pk}/close/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": f"Нельзя закрыть: тикет {ticket.number} в статусе «Новый» (new).",
    }
    assert not ChangeLogEntry.objects.filter(action="close").exists()
    response = manager.client.post(f"/api/tickets/{ticket.pk}/assign/", {"user_id": manager.user.pk}, format="json")
    assert response.status_code == 200
    entry = ChangeLogEntry.objects.get(action="assign")
    assert entry.changes["status"] == ["new", "assigned"]
    assert entry.changes["assigned_to"] == [None, manager.user.pk]


def test_resolve_needs_a_resolution(tenant):
    manager = Member(tenant, Role.MANAGER)
    ticket = make_ticket(tenant, assigned_to=manager.user)
    manager.client.post(f"/api/tickets/{ticket.pk}/start_work/")
    response = manager.client.post(f"/api/tickets/{ticket.pk}/resolve/", {}, format="json")
    assert (response.status_code, response.json()) == (400, {"resolution": ["Обязательное поле."]})
    response = manager.client.post(f"/api/tickets/{ticket.pk}/resolve/", {"resolution": "   "}, format="json")
    assert (response.status_code, response.json()) == (400, {"resolution": ["Это поле не может быть пустым."]})
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"


def test_language_follows_accept_language(tenant):
    manager = Member(tenant, Role.MANAGER)
    ticket = make_ticket(tenant)
    response = manager.client.post(f"/api/tickets/{ticket.pk}/close/", HTTP_ACCEPT_LANGUAGE="uz")
    assert response.json()["message"] == f"{ticket.number} tiketni «Yangi» (new) holatida yopish mumkin emas."
    response = manager.client.get(f"/api/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.json()["status_display"], response.json()["category_display"]) == ("New", "Technical problem")
    assert manager.client.get(f"/api/tickets/{ticket.pk}/").json()["category_display"] == "Техническая проблема"


# --- creating and editing through the API ----------------------------------------------------------------------


def test_a_date_due_date_is_the_end_of_that_day_in_the_stores_time_zone(tenant):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.post(LIST, {**create_payload(tenant), "due_date": "2024-02-29"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["due_date"], body["due_date_given"], body["is_overdue"]) == ("2024-02-29T23:59:59+05:00", True, True)
    response = owner.client.post(LIST, {**create_payload(tenant), "due_date": "2030-01-02T10:00:00Z"}, format="json")
    assert response.json()["due_date"] == "2030-01-02T15:00:00+05:00"
    response = owner.client.post(LIST, {**create_payload(tenant), "due_date": "2030-01-02T10:00"}, format="json")
    assert response.json()["due_date"] == "2030-01-02T10:00:00+05:00"  # a naive time is the store's


@pytest.mark.parametrize(
    "due",
    # before 1970: local mean time's offset has seconds, which RFC 3339 answers cannot carry
    ["2024-02-30", "tomorrow", "9999-12-31T23:59:59-12:00", "0001-01-01", 20240101, "1899-12-31", "1923-05-01"],
)
def test_a_due_date_that_is_not_a_date_is_a_400(tenant, due):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.post(LIST, {**create_payload(tenant), "due_date": due}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["due_date"]
    assert not Ticket.objects.exists()


def test_without_a_due_date_the_service_level_sets_it(tenant):
    owner = Member(tenant, Role.OWNER)
    body = owner.client.post(LIST, {**create_payload(tenant), "priority": "critical"}, format="json").json()
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["due_date"]) - created == timedelta(hours=4)
    assert datetime.fromisoformat(body["first_response_due"]) - created == timedelta(hours=1)
    assert body["due_date_given"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"category": "weather"}, "category"),
        ({"priority": "urgent"}, "priority"),
        ({"customer": None}, "customer"),
        ({"customer": "1; DROP TABLE"}, "customer"),
        ({"contract": 10**30}, "contract"),
    ],
)
def test_bad_fields_are_400_on_the_field(tenant, payload, field):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.post(LIST, {**create_payload(tenant), **payload}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Ticket.objects.exists()


def test_a_contract_of_another_customer_is_refused(tenant):
    owner = Member(tenant, Role.OWNER)
    contract = contract_of(CustomerFactory(tenant=tenant), number="CTR-2025-000042")
    response = owner.client.post(LIST, {**create_payload(tenant), "contract": contract.pk}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"contract": ["Договор CTR-2025-000042 принадлежит другому клиенту."]},
    )


def test_the_status_is_not_edited_directly(tenant):
    manager = Member(tenant, Role.MANAGER)
    ticket = make_ticket(tenant)
    body = manager.client.get(f"/api/tickets/{ticket.pk}/").json()
    same = manager.client.patch(f"/api/tickets/{ticket.pk}/", {"status": "new", "subject": "Тема"}, format="json")
    assert same.status_code == 200
    response = manager.client.patch(f"/api/tickets/{ticket.pk}/", {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert Ticket.objects.get(pk=ticket.pk).status == body["status"] == "new"


def test_put_with_an_assignee_assigns(tenant):
    manager = Member(tenant, Role.MANAGER)
    agent = Member(tenant, Role.AGENT)
    customer = CustomerFactory(tenant=tenant)
    ticket = make_ticket(tenant, customer=customer)
    payload = {"subject": "Роуминг", "customer": customer.pk, "category": "roaming", "assigned_to": agent.user.pk}
    body = manager.client.put(f"/api/tickets/{ticket.pk}/", payload, format="json").json()
    assert (body["status"], body["assigned_to"], body["category"]) == ("assigned", agent.user.pk, "roaming")
    assert [row["action"] for row in body["history"]] == ["create", "assign"]


# --- filters, search, ordering -----------------------------------------------------------------------------------


def test_filters_search_and_ordering(tenant):
    owner = Member(tenant, Role.OWNER)
    agent = staff(tenant, Role.AGENT)
    customer = CustomerFactory(tenant=tenant)
    internet = make_ticket(tenant, subject="Нет интернета", category="internet", priority="low", customer=customer)
    billing = make_ticket(
        tenant, subject="Списали дважды", description="абонплата", category="billing", priority="critical"
    )
    assigned = make_ticket(tenant, subject="Роуминг", priority="medium", assigned_to=agent.user)

    def ids(query: str) -> list[int]:
        response = owner.client.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=new&ordering=created_at") == [internet.pk, billing.pk]
    assert ids("status=assigned") == [assigned.pk]
    assert ids("category=billing") == [billing.pk]
    assert ids("priority=critical") == [billing.pk]
    assert ids(f"customer={customer.pk}") == [internet.pk]
    assert ids(f"assigned_to={agent.user_id}") == [assigned.pk]
    assert ids("search=интернет") == [internet.pk]
    assert ids("search=абонплата") == [billing.pk]
    assert ids(f"search={billing.number}") == [billing.pk]
    assert ids("ordering=-priority") == [billing.pk, assigned.pk, internet.pk]
    assert ids("ordering=priority") == [internet.pk, assigned.pk, billing.pk]
    assert ids("customer=999999") == []


@pytest.mark.parametrize(
    "query", ["status=open", "priority=urgent", "category=x", "customer=abc", "assigned_to=-1", "ordering=password"]
)
def test_a_bad_filter_is_a_400(tenant, query):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert len(response.json()) == 1


# --- lists and statistics: constant queries ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/tickets/overdue/", "/api/tickets/statistics/", "/api/tickets/{pk}/"])
def test_overdue_statistics_and_a_ticket_run_a_constant_number_of_queries(tenant, settings, path):
    settings.SAVDO_CACHED_COUNTS = False
    owner = Member(tenant, Role.OWNER)
    agent = staff(tenant, Role.AGENT)
    past = datetime(2024, 1, 1, tzinfo=UTC)
    first = make_ticket(tenant, due_date=past, assigned_to=agent.user)

    def add(count):
        for _ in range(count):
            make_ticket(tenant, due_date=past, assigned_to=agent.user)
            # the ticket itself gains comments and history rows
            services.ticket_comment_create(ticket=first, membership=agent, text="…")
            services.ticket_assign(ticket=first, membership=agent, assignee=agent.user)

    add(2)
    path = path.format(pk=first.pk)
    owner.client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert owner.client.get(path).status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as many:
        assert owner.client.get(path).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_statistics_are_the_stores_own_and_follow_the_filters(tenant, other_tenant):
    owner = Member(tenant, Role.OWNER)
    make_ticket(tenant, priority="critical", category="billing")
    make_ticket(tenant, priority="low")
    make_ticket(other_tenant, priority="critical")
    body = owner.client.get("/api/tickets/statistics/").json()
    assert body["total"] == 2
    assert body["by_priority"] == {"low": 1, "medium": 0, "high": 0, "critical": 1}
    body = owner.client.get("/api/tickets/statistics/?category=billing").json()
    assert (body["total"], body["by_category"]["billing"]) == (1, 1)


# --- service levels ---------------------------------------------------------------------------------------------

LEVELS = "/api/tickets/service-levels/"


def test_service_levels_need_a_token(anon, tenant):
    for path in (LEVELS, f"{LEVELS}high/"):
        assert anon.get(path).status_code == 401
    assert anon.patch(f"{LEVELS}high/", {"resolution_minutes": 60}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("method", "role"),
    [
        ("put", Role.ADMIN),
        ("patch", Role.ADMIN),
        ("delete", Role.ADMIN),
        ("patch", Role.MANAGER),
        ("patch", Role.AGENT),
        ("get", Role.CASHIER),
    ],
)
def test_only_the_owner_changes_service_levels(tenant, method, role):
    member = Member(tenant, role)
    body = {"first_response_minutes": 10, "resolution_minutes": 20}
    response = getattr(member.client, method)(f"{LEVELS}high/", body, format="json")
    assert response.status_code == 403
    assert not ServiceLevel.objects.exists()


def test_one_stores_service_levels_are_its_own(tenant, other_tenant):
    owner, other = Member(tenant, Role.OWNER), Member(other_tenant, Role.OWNER)
    response = other.client.put(
        f"{LEVELS}critical/", {"first_response_minutes": 15, "resolution_minutes": 60}, format="json"
    )
    assert response.status_code == 200
    assert owner.client.get(f"{LEVELS}critical/").json() == {
        "priority": "critical",
        "priority_display": "Критический",
        "first_response_minutes": 60,
        "resolution_minutes": 240,
        "is_default": True,
    }
    assert other.client.get(f"{LEVELS}critical/").json()["first_response_minutes"] == 15
    assert owner.client.delete(f"{LEVELS}critical/").status_code == 204
    assert ServiceLevel.objects.get().tenant_id == other_tenant.pk


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"first_response_minutes": 0, "resolution_minutes": 10}, ["first_response_minutes"]),
        ({"first_response_minutes": 10}, ["resolution_minutes"]),
        ({"first_response_minutes": "x", "resolution_minutes": 10}, ["first_response_minutes"]),
        ({"first_response_minutes": 100, "resolution_minutes": 10}, ["first_response_minutes"]),
    ],
)
def test_service_level_targets_are_checked(tenant, body, errors):
    owner = Member(tenant, Role.OWNER)
    response = owner.client.put(f"{LEVELS}low/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == errors
    assert not ServiceLevel.objects.exists()


def test_an_unknown_priority_is_404(tenant):
    owner = Member(tenant, Role.OWNER)
    assert owner.client.get(f"{LEVELS}urgent/").status_code == 404
    assert owner.client.patch(f"{LEVELS}urgent/", {"resolution_minutes": 5}, format="json").status_code == 404


def test_service_levels_list_runs_a_constant_number_of_queries(tenant):
    owner = Member(tenant, Role.OWNER)
    owner.client.get(LEVELS)
    with CaptureQueriesContext(connection) as few:
        owner.client.get(LEVELS)
    for priority in ("low", "high"):
        owner.client.patch(f"{LEVELS}{priority}/", {"resolution_minutes": 3000}, format="json")
    with CaptureQueriesContext(connection) as many:
        assert owner.client.get(LEVELS).status_code == 200
    assert len(many) == len(few)
