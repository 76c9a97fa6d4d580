"""Tickets under concurrency, with real threads against PostgreSQL (skipped on SQLite, whose
IMMEDIATE transactions serialise writers anyway). Each thread has its own connection and goes
through the real API."""

import pytest
from django.db import connection

from savdo.support.models import Ticket, TicketHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.support.factories import make_ticket
from tests.threads import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, real concurrency)"),
]


def test_simultaneous_tickets_get_distinct_consecutive_numbers(tenant):
    members = [Member(tenant, Role.AGENT) for _ in range(8)]
    customer = CustomerFactory(tenant=tenant)
    body = {"subject": "Нет связи", "customer": customer.pk}
    responses = race(*[lambda m=m: m.client.post("/api/tickets/", body, format="json") for m in members])
    assert [r.status_code for r in responses] == [201] * 8, [r.content[:200] for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    year = numbers[0].split("-")[1]
    assert numbers == [f"TKT-{year}-{n:06d}" for n in range(1, 9)]
    assert Ticket.objects.filter(tenant=tenant).count() == 8


def test_the_first_tickets_of_two_stores_at_once_are_both_number_one(tenant, other_tenant):
    mine, theirs = Member(tenant, Role.AGENT), Member(other_tenant, Role.AGENT)
    customers = {member.tenant.pk: CustomerFactory(tenant=member.tenant).pk for member in (mine, theirs)}

    def opener(member):
        body = {"subject": "x", "customer": customers[member.tenant.pk]}
        return lambda: member.client.post("/api/tickets/", body, format="json")

    calls = [opener(member) for member in (mine, theirs, mine, theirs)]
    responses = race(*calls)
    assert [r.status_code for r in responses] == [201] * 4
    assert sorted(r.json()["number"][-6:] for r in responses) == ["000001", "000001", "000002", "000002"]


def test_two_simultaneous_resolutions_resolve_once(tenant):
    managers = [Member(tenant, Role.MANAGER) for _ in range(2)]
    ticket = make_ticket(tenant, membership=managers[0].membership, assigned_to=managers[0].user)
    managers[0].client.post(f"/api/tickets/{ticket.pk}/start_work/")
    calls = [
        lambda m=m, i=i: m.client.post(
            f"/api/tickets/{ticket.pk}/resolve/", {"resolution": f"Решение {i}"}, format="json"
        )
        for i, m in enumerate(managers)
    ]
    responses = race(*calls)
    assert sorted(r.status_code for r in responses) == [200, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert "(resolved)" in refused.json()["message"]
    assert TicketHistory.objects.filter(ticket=ticket, action="resolve").count() == 1
    ticket.refresh_from_db()
    winner = next(r for r in responses if r.status_code == 200)
    assert ticket.resolution == winner.json()["resolution"]
