"""The demo support desk (savdo/demo/support.py) on the demo telecom operator: tickets in every
status, some overdue, replies and notes, a history chained from creation; a rerun adds nothing."""

import itertools

from django.utils import timezone

from savdo.demo.support import load_support
from savdo.demo.telecom import load_telecom
from savdo.support import selectors
from savdo.support.choices import TicketStatus
from savdo.support.models import Ticket, TicketComment, TicketHistory


def test_the_demo_operator_gets_a_working_support_desk_once():
    now = timezone.now()
    tenant = load_telecom(now=now, subscribers=40)["tenant"]
    result = load_support(tenant=tenant, now=now)
    tickets = Ticket.objects.for_tenant(tenant)
    assert result == {"created": 1, "tickets": tickets.count()}
    assert tickets.count() > 100
    assert set(tickets.values_list("status", flat=True)) == set(TicketStatus.values)
    assert selectors.ticket_overdue(tenant=tenant, now=now).count() >= 4
    assert tickets.filter(contract__isnull=False).exists()
    assert all(t.contract.customer_id == t.customer_id for t in tickets.filter(contract__isnull=False))
    comments = TicketComment.objects.filter(tenant=tenant)
    assert comments.filter(is_internal=True).exists() and comments.filter(is_internal=False).exists()
    assert tickets.filter(reopen_count__gt=0, status="closed").exists()
    for ticket in tickets:
        rows = list(TicketHistory.objects.filter(ticket=ticket).values_list("from_status", "to_status", "created_at"))
        assert rows[0][:2] == ("", "new")
        for before, after in itertools.pairwise(rows):
            assert after[0] == before[1] and after[2] >= before[2]
        assert rows[-1][1] == ticket.status
        assert rows[-1][2] <= now
    stats = selectors.ticket_statistics(tickets, now=now)
    shares = stats["service_level"]
    assert 0 < shares["first_response"]["met_percent"] < 100
    assert 0 < shares["resolution"]["met_percent"] < 100
    assert load_support(tenant=tenant, now=now) == {"created": 0, "tickets": 0}
    assert Ticket.objects.for_tenant(tenant).count() == result["tickets"]
