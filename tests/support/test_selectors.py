"""The support selectors: overdue tickets and how late they are (the database computes it),
statistics with exact averages and service-level shares, the queues, a customer's and a contract's
tickets."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.support import selectors, services
from savdo.tenancy.models import Role
from tests.customers.factories import CustomerFactory
from tests.sqlcount import work
from tests.support.factories import contract_of, make_ticket, staff

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@contextmanager
def at(moment: datetime):
    """Services see `moment` as "now"."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def worked(tenant, manager, agent, *, opened: datetime, assigned: datetime, resolved: datetime | None, **fields):
    """A ticket opened, assigned and (if `resolved`) resolved at those instants."""
    ticket = make_ticket(tenant, membership=manager, opened_at=opened, **fields)
    with at(assigned):
        ticket = services.ticket_assign(ticket=ticket, membership=manager, assignee=agent.user)
        ticket = services.ticket_start_work(ticket=ticket, membership=agent)
    if resolved is not None:
        with at(resolved):
            ticket = services.ticket_resolve(ticket=ticket, membership=agent, resolution="Готово")
    return ticket


def test_overdue_is_every_open_ticket_past_its_deadline_with_how_late_it_is(tenant, other_tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    two_hours_late = make_ticket(tenant, membership=manager, due_date=NOW - 2 * H, opened_at=NOW - 10 * H)
    not_yet = make_ticket(tenant, membership=manager, due_date=NOW + H, opened_at=NOW - 10 * H)
    resolved_late = worked(
        tenant, manager, agent, opened=NOW - 10 * H, assigned=NOW - 9 * H, resolved=NOW - H, due_date=NOW - 5 * H
    )
    half_hour_late = worked(
        tenant, manager, agent, opened=NOW - 10 * H, assigned=NOW - 9 * H, resolved=NOW - 2 * H, due_date=NOW - H / 2
    )
    with at(NOW - H):
        services.ticket_reopen(ticket=half_hour_late, membership=manager)
    make_ticket(other_tenant, due_date=NOW - 3 * H)  # another store's
    rows = list(selectors.ticket_overdue(tenant=tenant, now=NOW))
    assert [(row.pk, row.overdue_by) for row in rows] == [(two_hours_late.pk, 2 * H), (half_hour_late.pk, H / 2)]
    assert not_yet.pk not in {row.pk for row in rows} and resolved_late.pk not in {row.pk for row in rows}


def test_statistics_count_average_and_measure_the_targets(tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    # medium: first response within 8 h, resolution within 3 days.
    worked(  # on time
        tenant, manager, agent, opened=NOW - 48 * H, assigned=NOW - 47 * H, resolved=NOW - 40 * H, category="billing"
    )
    late_both = worked(
        tenant,
        manager,
        agent,
        opened=NOW - 100 * H,
        assigned=NOW - 90 * H,
        resolved=NOW - 20 * H,
        priority="critical",
        category="network",
    )
    services.ticket_close(ticket=late_both, membership=manager)
    in_progress = worked(tenant, manager, agent, opened=NOW - 5 * H, assigned=NOW - 3 * H, resolved=None)
    # Never answered, first response overdue (low: 24 h), resolution not yet due (5 days).
    waiting = make_ticket(tenant, membership=manager, priority="low", opened_at=NOW - 30 * H, category="billing")
    # A fresh one: nothing decided yet.
    make_ticket(tenant, membership=manager, priority="high", opened_at=NOW - H)
    # Open past a given deadline: overdue and a breached resolution.
    overdue = make_ticket(tenant, membership=manager, opened_at=NOW - 2 * H, due_date=NOW - H)

    stats = selectors.ticket_statistics(selectors.ticket_list(tenant=tenant), now=NOW)

    assert stats["total"] == 6
    assert stats["by_status"] == {
        "new": 3,
        "assigned": 0,
        "in_progress": 1,
        "resolved": 1,
        "closed": 1,
        "reopened": 0,
    }
    assert stats["by_priority"] == {"low": 1, "medium": 3, "high": 1, "critical": 1}
    assert stats["by_category"]["billing"] == 2
    assert stats["by_category"]["network"] == 1
    assert stats["by_category"]["technical"] == 3
    assert sum(stats["by_category"].values()) == 6
    assert stats["overdue"] == 1
    assert stats["unassigned"] == 3
    # first responses: 1 h, 10 h, 2 h -> 13/3 h; resolutions: 8 h, 80 h -> 44 h.
    assert stats["average_first_response_seconds"] == round(13 * 3600 / 3)
    assert stats["average_resolution_seconds"] == 44 * 3600
    assert stats["service_level"] == {
        # on time: on_time, in_progress; late: late_both (10 h > 1 h), waiting (no answer after 24 h)
        "first_response": {"met": 2, "breached": 2, "met_percent": 50.0},
        # on time: on_time; late: late_both (80 h > 4 h), overdue (open past its due date)
        "resolution": {"met": 1, "breached": 2, "met_percent": 33.3},
    }
    assert {in_progress.status, waiting.status, overdue.status} == {"in_progress", "new"}


def test_statistics_of_no_tickets(tenant):
    stats = selectors.ticket_statistics(selectors.ticket_list(tenant=tenant), now=NOW)
    assert stats["total"] == 0
    assert stats["average_first_response_seconds"] is None
    assert stats["average_resolution_seconds"] is None
    assert stats["service_level"] == {
        "first_response": {"met": 0, "breached": 0, "met_percent": None},
        "resolution": {"met": 0, "breached": 0, "met_percent": None},
    }


def test_the_queues_and_a_customers_and_contracts_tickets(tenant, other_tenant):
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    customer = CustomerFactory(tenant=tenant)
    contract = contract_of(customer)
    mine = make_ticket(tenant, membership=manager, customer=customer, contract=contract, assigned_to=agent.user)
    later = make_ticket(tenant, membership=manager, customer=customer, priority="critical")
    sooner = make_ticket(tenant, membership=manager, priority="critical", opened_at=NOW - 10 * H)
    make_ticket(other_tenant)
    assert list(selectors.ticket_mine(tenant=tenant, user=agent.user)) == [mine]
    assert list(selectors.ticket_unassigned(tenant=tenant)) == [sooner, later]
    assert list(selectors.tickets_of_customer(tenant=tenant, customer=customer)) == [later, mine]
    assert list(selectors.tickets_of_contract(tenant=tenant, contract=contract)) == [mine]
    assert list(selectors.tickets_of_customer(tenant=other_tenant, customer=customer)) == []


def test_service_level_rows_are_the_defaults_until_the_owner_sets_one(tenant):
    owner = staff(tenant, Role.OWNER)
    services.service_level_set(tenant=tenant, membership=owner, priority="medium", first_response_minutes=120)
    rows = [
        (row.priority, row.first_response_minutes, row.resolution_minutes, row.is_default)
        for row in selectors.service_level_rows(tenant=tenant)
    ]
    assert rows == [
        ("critical", 60, 240, True),
        ("high", 240, 1440, True),
        ("medium", 120, 4320, False),
        ("low", 1440, 7200, True),
    ]


def test_cached_statistics_follow_every_write_the_clock_the_store_and_the_filters(tenant, other_tenant, settings):
    settings.SAVDO_CACHED_COUNTS = True
    manager = staff(tenant)
    agent = staff(tenant, Role.AGENT)
    # medium, opened 10 h before NOW: first response due NOW - 2 h, resolution due NOW + 62 h.
    ticket = make_ticket(tenant, membership=manager, opened_at=NOW - 10 * H)

    def stats(at_moment, queryset=None, store=tenant):
        queryset = selectors.ticket_list(tenant=store) if queryset is None else queryset
        return selectors.ticket_statistics(queryset, now=at_moment, tenant_id=store.pk)

    first = stats(NOW - 5 * H)  # stores the decided part under the store's version
    with CaptureQueriesContext(connection) as queries:
        assert stats(NOW - 5 * H) == first
    assert len(work(queries.captured_queries)) == 1  # the open tickets' counts only (and the version)
    assert first["service_level"]["first_response"] == {"met": 0, "breached": 0, "met_percent": None}
    # The clock alone: the first response is now late, with no write in between.
    assert stats(NOW)["service_level"]["first_response"] == {"met": 0, "breached": 1, "met_percent": 0.0}
    # A write: the assignment is the (late) first response.
    with at(NOW - H):
        services.ticket_assign(ticket=ticket, membership=manager, assignee=agent.user)
    after = stats(NOW)
    assert (after["by_status"]["new"], after["by_status"]["assigned"]) == (0, 1)
    assert after["average_first_response_seconds"] == 9 * 3600
    assert after["service_level"]["first_response"] == {"met": 0, "breached": 1, "met_percent": 0.0}
    # Another store's answer and a filtered one are their own.
    make_ticket(other_tenant, priority="low")
    assert stats(NOW, store=other_tenant)["by_priority"]["low"] == 1
    assert stats(NOW, store=other_tenant)["total"] == 1
    assert stats(NOW, selectors.ticket_list(tenant=tenant).filter(priority="low"))["total"] == 0
    assert stats(NOW)["total"] == 1
