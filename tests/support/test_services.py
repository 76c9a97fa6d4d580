"""The support services: numbers, deadlines from service levels, the customer/contract rules, edits,
transitions with their history and role rules, comments as first responses, service levels."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound, PermissionDenied

from savdo.audit.models import ChangeLogEntry
from savdo.support import services
from savdo.support.exceptions import TicketTransitionRefused
from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketHistory
from savdo.tenancy.models import Role
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory
from tests.support.factories import contract_of, make_ticket, staff

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def history_of(ticket) -> list[tuple]:
    return list(
        TicketHistory.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("action", "from_status", "to_status")
    )


# --- numbers ------------------------------------------------------------------------------------


def test_numbers_run_per_store_and_local_year(tenant, other_tenant):
    first = make_ticket(tenant, opened_at=T0)
    second = make_ticket(tenant, opened_at=T0)
    elsewhere = make_ticket(other_tenant, opened_at=T0)
    # 2024-12-31 20:00 UTC is already 2025 in Tashkent (UTC+5): the store's year counts.
    new_year = make_ticket(tenant, opened_at=datetime(2024, 12, 31, 20, 0, tzinfo=UTC))
    last_year = make_ticket(tenant, opened_at=datetime(2024, 12, 31, 18, 0, tzinfo=UTC))
    assert [first.number, second.number, elsewhere.number] == ["TKT-2025-000001", "TKT-2025-000002", "TKT-2025-000001"]
    assert new_year.number == "TKT-2025-000003"
    assert last_year.number == "TKT-2024-000001"


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        ("critical", timedelta(hours=1), timedelta(hours=4)),
        ("high", timedelta(hours=4), timedelta(hours=24)),
        ("medium", timedelta(hours=8), timedelta(days=3)),
        ("low", timedelta(hours=24), timedelta(days=5)),
    ],
)
def test_deadlines_come_from_the_default_service_levels(tenant, priority, first_response, resolution):
    ticket = make_ticket(tenant, priority=priority, opened_at=T0)
    assert ticket.created_at == T0
    assert ticket.first_response_due == T0 + first_response
    assert ticket.due_date == T0 + resolution
    assert ticket.due_date_given is False
    assert ticket.status == "new"
    assert history_of(ticket) == [("create", "", "new")]


def test_a_critical_ticket_is_due_before_a_low_one_opened_at_the_same_moment(tenant):
    low = make_ticket(tenant, priority="low", opened_at=T0)
    critical = make_ticket(tenant, priority="critical", opened_at=T0)
    assert critical.due_date < low.due_date
    assert critical.first_response_due < low.first_response_due


def test_a_given_due_date_replaces_the_resolution_deadline_even_in_the_past(tenant):
    past = T0 - timedelta(days=30)
    ticket = make_ticket(tenant, priority="high", due_date=past, opened_at=T0)
    assert (ticket.due_date, ticket.due_date_given) == (past, True)
    assert ticket.first_response_due == T0 + timedelta(hours=4)


def test_the_stores_own_service_level_sets_new_deadlines_only(tenant):
    owner = staff(tenant, Role.OWNER)
    before = make_ticket(tenant, priority="high", opened_at=T0)
    services.service_level_set(
        tenant=tenant, membership=owner, priority="high", first_response_minutes=30, resolution_minutes=120
    )
    after = make_ticket(tenant, priority="high", opened_at=T0)
    assert (after.first_response_due, after.due_date) == (T0 + timedelta(minutes=30), T0 + timedelta(hours=2))
    before.refresh_from_db()
    assert (before.first_response_due, before.due_date) == (T0 + timedelta(hours=4), T0 + timedelta(hours=24))


# --- customer and contract ----------------------------------------------------------------------


def test_a_contract_of_the_customer_is_kept(tenant):
    customer = CustomerFactory(tenant=tenant)
    contract = contract_of(customer)
    ticket = make_ticket(tenant, customer=customer, contract=contract)
    assert (ticket.customer_id, ticket.contract_id) == (customer.pk, contract.pk)


def test_a_contract_of_another_customer_is_refused(tenant):
    customer = CustomerFactory(tenant=tenant)
    contract = contract_of(CustomerFactory(tenant=tenant), number="CTR-2025-000777")
    with pytest.raises(ValidationError) as error:
        make_ticket(tenant, customer=customer, contract=contract)
    assert error.value.message_dict == {"contract": ["Договор CTR-2025-000777 принадлежит другому клиенту."]}
    assert not Ticket.objects.exists()


def test_a_contract_or_customer_of_another_store_is_not_found(tenant, other_tenant):
    foreign_customer = CustomerFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as error:
        make_ticket(tenant, customer=foreign_customer)
    assert error.value.message_dict == {"customer": ["Не найдено."]}
    customer = CustomerFactory(tenant=tenant)
    with pytest.raises(ValidationError) as error:
        make_ticket(tenant, customer=customer, contract=contract_of(foreign_customer))
    assert error.value.message_dict == {"contract": ["Не найдено."]}
    assert not Ticket.objects.exists()


def test_a_cashier_cannot_open_a_ticket(tenant):
    with pytest.raises(PermissionDenied):
        make_ticket(tenant, membership=staff(tenant, Role.CASHIER))
    assert not Ticket.objects.exists()


def test_a_member_of_another_store_cannot_open_a_ticket_here(tenant, other_tenant):
    with pytest.raises(NotFound):
        make_ticket(tenant, membership=staff(other_tenant, Role.OWNER))


# --- creating assigned ----------------------------------------------------------------------------


def test_opening_with_an_assignee_is_an_assignment_and_the_first_response(tenant):
    agent = staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, assigned_to=agent.user, opened_at=T0)
    assert (ticket.status, ticket.assigned_to_id, ticket.first_response_at) == ("assigned", agent.user_id, T0)
    assert history_of(ticket) == [("create", "", "new"), ("assign", "new", "assigned")]


# --- editing --------------------------------------------------------------------------------------


def test_a_new_priority_moves_both_computed_deadlines(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager, priority="low", opened_at=T0)
    ticket = services.ticket_update(ticket=ticket, membership=manager, priority="critical")
    assert (ticket.first_response_due, ticket.due_date) == (T0 + timedelta(hours=1), T0 + timedelta(hours=4))


def test_a_new_priority_keeps_a_due_date_given_by_hand_and_null_goes_back_to_the_computed_one(tenant):
    manager = staff(tenant)
    given = T0 + timedelta(days=20)
    ticket = make_ticket(tenant, membership=manager, priority="low", opened_at=T0, due_date=given)
    ticket = services.ticket_update(ticket=ticket, membership=manager, priority="high")
    assert (ticket.first_response_due, ticket.due_date, ticket.due_date_given) == (
        T0 + timedelta(hours=4),
        given,
        True,
    )
    ticket = services.ticket_update(ticket=ticket, membership=manager, due_date=None)
    assert (ticket.due_date, ticket.due_date_given) == (T0 + timedelta(hours=24), False)


def test_editing_the_assignee_is_an_assignment_and_unassigning_is_refused(tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, membership=manager)
    ticket = services.ticket_update(ticket=ticket, membership=manager, assigned_to=agent.user, subject=" Медленно ")
    assert (ticket.status, ticket.assigned_to_id, ticket.subject) == ("assigned", agent.user_id, "Медленно")
    assert history_of(ticket)[-1] == ("assign", "new", "assigned")
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, membership=manager, assigned_to=None, subject="Другое")
    assert list(error.value.message_dict) == ["assigned_to"]
    ticket.refresh_from_db()
    assert (ticket.assigned_to_id, ticket.subject) == (agent.user_id, "Медленно")


def test_editing_refuses_a_blank_subject_and_fields_that_are_not_editable(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager)
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, membership=manager, subject="   ")
    assert list(error.value.message_dict) == ["subject"]
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, membership=manager, status="closed")
    assert list(error.value.message_dict) == ["status"]
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status) == ("Нет интернета", "new")


def test_changing_the_customer_checks_the_contract_again(tenant):
    manager = staff(tenant)
    customer = CustomerFactory(tenant=tenant)
    ticket = make_ticket(tenant, membership=manager, customer=customer, contract=contract_of(customer))
    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, membership=manager, customer=CustomerFactory(tenant=tenant))
    assert list(error.value.message_dict) == ["contract"]
    other = CustomerFactory(tenant=tenant)
    ticket = services.ticket_update(ticket=ticket, membership=manager, customer=other, contract=None)
    assert (ticket.customer_id, ticket.contract_id) == (other.pk, None)


# --- transitions -------------------------------------------------------------------------------------


def test_a_complaint_from_creation_to_closure(tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, membership=manager)
    ticket = services.ticket_assign(ticket=ticket, membership=manager, assignee=agent.user, comment="Срочно")
    ticket = services.ticket_start_work(ticket=ticket, membership=agent)
    ticket = services.ticket_resolve(ticket=ticket, membership=agent, resolution="  Сбросили настройки APN  ")
    assert (ticket.status, ticket.resolution) == ("resolved", "Сбросили настройки APN")
    ticket = services.ticket_close(ticket=ticket, membership=agent)
    assert ticket.status == "closed"
    assert all((ticket.assigned_at, ticket.started_at, ticket.resolved_at, ticket.closed_at))
    rows = list(
        TicketHistory.objects.filter(ticket=ticket).values_list(
            "action", "from_status", "to_status", "actor_id", "assignee_id", "comment"
        )
    )
    assert rows == [
        ("create", "", "new", manager.user_id, None, ""),
        ("assign", "new", "assigned", manager.user_id, agent.user_id, "Срочно"),
        ("start_work", "assigned", "in_progress", agent.user_id, None, ""),
        ("resolve", "in_progress", "resolved", agent.user_id, None, "Сбросили настройки APN"),
        ("close", "resolved", "closed", agent.user_id, None, ""),
    ]


def test_a_refused_transition_names_the_status_and_changes_nothing(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager)
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    with pytest.raises(TicketTransitionRefused) as error:
        services.ticket_resolve(ticket=ticket, membership=manager, resolution="Готово")
    assert str(error.value.detail) == f"Нельзя решить: тикет {ticket.number} в статусе «Новый» (new)."
    assert Ticket.objects.filter(pk=ticket.pk).values().get() == before
    assert history_of(ticket) == [("create", "", "new")]


def test_resolving_needs_a_resolution(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager, assigned_to=manager.user)
    ticket = services.ticket_start_work(ticket=ticket, membership=manager)
    with pytest.raises(ValidationError) as error:
        services.ticket_resolve(ticket=ticket, membership=manager, resolution="  ")
    assert list(error.value.message_dict) == ["resolution"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == ("in_progress", None)


def test_reopening_clears_the_resolution_time_and_work_starts_again(tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, membership=manager, assigned_to=agent.user)
    ticket = services.ticket_start_work(ticket=ticket, membership=agent)
    ticket = services.ticket_resolve(ticket=ticket, membership=agent, resolution="Готово")
    ticket = services.ticket_close(ticket=ticket, membership=manager)
    ticket = services.ticket_reopen(ticket=ticket, membership=agent, comment="Снова нет связи")
    assert (ticket.status, ticket.resolved_at, ticket.closed_at, ticket.reopen_count) == ("reopened", None, None, 1)
    assert ticket.resolution == "Готово"  # the last resolution stays readable until the next one
    ticket = services.ticket_start_work(ticket=ticket, membership=agent)
    assert ticket.status == "in_progress"
    assert history_of(ticket)[-2:] == [("reopen", "closed", "reopened"), ("start_work", "reopened", "in_progress")]


def test_reassigning_sends_the_ticket_back_to_assigned(tenant):
    manager = staff(tenant)
    first, second = staff(tenant, Role.AGENT), staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, membership=manager, assigned_to=first.user, opened_at=T0)
    ticket = services.ticket_start_work(ticket=ticket, membership=first)
    ticket = services.ticket_assign(ticket=ticket, membership=manager, assignee=second.user)
    assert (ticket.status, ticket.assigned_to_id) == ("assigned", second.user_id)
    assert ticket.first_response_at == T0  # the first assignment stays the first response


# --- who may do what ------------------------------------------------------------------------------------


def test_an_agent_takes_a_ticket_but_does_not_hand_it_to_someone_else(tenant):
    agent, colleague = staff(tenant, Role.AGENT), staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant)
    with pytest.raises(PermissionDenied):
        services.ticket_assign(ticket=ticket, membership=agent, assignee=colleague.user)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_to_id) == ("new", None)
    ticket = services.ticket_assign(ticket=ticket, membership=agent, assignee=agent.user)
    assert (ticket.status, ticket.assigned_to_id) == ("assigned", agent.user_id)


def test_only_the_assignee_or_a_manager_works_the_ticket(tenant):
    agent, colleague = staff(tenant, Role.AGENT), staff(tenant, Role.AGENT)
    ticket = make_ticket(tenant, assigned_to=agent.user)
    with pytest.raises(PermissionDenied):
        services.ticket_start_work(ticket=ticket, membership=colleague)
    ticket.refresh_from_db()
    assert ticket.status == "assigned"
    ticket = services.ticket_start_work(ticket=ticket, membership=staff(tenant, Role.MANAGER))
    assert ticket.status == "in_progress"


@pytest.mark.parametrize("role", [Role.CASHIER])
def test_a_cashier_takes_no_action(tenant, role):
    ticket = make_ticket(tenant)
    with pytest.raises(PermissionDenied):
        services.ticket_reopen(ticket=ticket, membership=staff(tenant, role))


def test_the_assignee_is_an_active_member_in_a_support_role(tenant, other_tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager)
    cashier = staff(tenant, Role.CASHIER)
    gone = staff(tenant, Role.AGENT)
    gone.is_active = False
    gone.save()
    stranger = staff(other_tenant, Role.AGENT)
    cases = {
        cashier.user: "Роль этого пользователя не предусматривает работу с тикетами.",
        gone.user: "Этот пользователь не является активным сотрудником магазина.",
        stranger.user: "Этот пользователь не является активным сотрудником магазина.",
        UserFactory(): "Этот пользователь не является активным сотрудником магазина.",
    }
    for user, message in cases.items():
        with pytest.raises(ValidationError) as error:
            services.ticket_assign(ticket=ticket, membership=manager, assignee=user)
        assert error.value.message_dict == {"user_id": [message]}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_to_id, ticket.first_response_at) == ("new", None, None)
    assert history_of(ticket) == [("create", "", "new")]


def test_only_the_owner_or_an_admin_deletes_a_ticket(tenant):
    ticket = make_ticket(tenant)
    services.ticket_comment_create(ticket=ticket, membership=staff(tenant), text="Звонили")
    for role in (Role.MANAGER, Role.AGENT):
        with pytest.raises(PermissionDenied):
            services.ticket_delete(ticket=ticket, membership=staff(tenant, role))
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    services.ticket_delete(ticket=ticket, membership=staff(tenant, Role.ADMIN))
    assert not Ticket.objects.exists()
    assert not TicketHistory.objects.exists()
    assert not TicketComment.objects.exists()


# --- comments ---------------------------------------------------------------------------------------------


def test_the_first_staff_reply_is_the_first_response_and_a_note_is_not(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager)
    services.ticket_comment_create(ticket=ticket, membership=manager, text="Проверяем", is_internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    reply = services.ticket_comment_create(ticket=ticket, membership=manager, text="  Здравствуйте!  ")
    ticket.refresh_from_db()
    assert (reply.text, reply.is_internal, ticket.first_response_at) == ("Здравствуйте!", False, reply.created_at)
    later = services.ticket_comment_create(ticket=ticket, membership=manager, text="Ещё")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at != later.created_at
    logged = ChangeLogEntry.objects.filter(object_type="support.ticketcomment").count()
    assert logged == 3


def test_a_blank_comment_is_refused(tenant):
    manager = staff(tenant)
    ticket = make_ticket(tenant, membership=manager)
    with pytest.raises(ValidationError) as error:
        services.ticket_comment_create(ticket=ticket, membership=manager, text=" ")
    assert list(error.value.message_dict) == ["text"]
    assert not TicketComment.objects.exists()


# --- service levels ------------------------------------------------------------------------------------------


def test_only_the_owner_sets_service_levels(tenant):
    for role in (Role.ADMIN, Role.MANAGER, Role.AGENT):
        with pytest.raises(PermissionDenied):
            services.service_level_set(
                tenant=tenant, membership=staff(tenant, role), priority="low", first_response_minutes=10
            )
    assert not ServiceLevel.objects.exists()


def test_a_target_not_given_keeps_its_value_and_reset_goes_back_to_the_default(tenant):
    owner = staff(tenant, Role.OWNER)
    row = services.service_level_set(tenant=tenant, membership=owner, priority="low", first_response_minutes=90)
    assert (row.first_response_minutes, row.resolution_minutes, row.is_default) == (90, 7200, False)
    row = services.service_level_set(tenant=tenant, membership=owner, priority="low", resolution_minutes=600)
    assert (row.first_response_minutes, row.resolution_minutes) == (90, 600)
    assert ServiceLevel.objects.count() == 1
    row = services.service_level_reset(tenant=tenant, membership=owner, priority="low")
    assert (row.first_response_minutes, row.resolution_minutes, row.is_default) == (1440, 7200, True)
    assert not ServiceLevel.objects.exists()
    actions = list(ChangeLogEntry.objects.filter(object_type="support.servicelevel").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"resolution_minutes": 365 * 24 * 60 + 1}, "resolution_minutes"),
        ({"first_response_minutes": 500, "resolution_minutes": 400}, "first_response_minutes"),
        ({"first_response_minutes": 24 * 60 + 1}, "first_response_minutes"),  # the critical resolution is 4 h
    ],
)
def test_targets_are_checked(tenant, fields, field):
    owner = staff(tenant, Role.OWNER)
    priority = "critical" if fields == {"first_response_minutes": 24 * 60 + 1} else "low"
    with pytest.raises(ValidationError) as error:
        services.service_level_set(tenant=tenant, membership=owner, priority=priority, **fields)
    assert list(error.value.message_dict) == [field]
    assert not ServiceLevel.objects.exists()
