"""History rows of tickets, written explicitly by the services (never by signals)."""

from savdo.support.models import Ticket, TicketHistory


def ticket_history_record(
    *, ticket: Ticket, actor, action: str, from_status: str, when, comment: str = "", assignee=None
) -> TicketHistory:
    """Record that `actor` moved `ticket` from `from_status` to its current status at `when`."""
    return TicketHistory.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=ticket.status,
        assignee=assignee,
        comment=comment,
        created_at=when,
    )
