"""Row locks of the support domain: a ticket's status changes one writer at a time."""

from savdo.support.models import Ticket


def ticket_for_update(*, ticket: Ticket) -> Ticket:
    """The ticket's row, locked until the end of the transaction, read fresh from the database."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk, tenant_id=ticket.tenant_id)
