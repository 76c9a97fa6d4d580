"""Row locks of the CRM: a deal's status moves one writer at a time, and a customer cannot be deleted
while a deal or activity is being written for them."""

from savdo.crm.models import Deal
from savdo.customers.models import Customer


def deal_for_update(*, deal: Deal) -> Deal:
    """The deal's row, locked until the end of the transaction, read fresh from the database."""
    return Deal.objects.select_for_update().get(pk=deal.pk, tenant_id=deal.tenant_id)


def customer_for_link(*, tenant_id: int, customer_id: int) -> Customer | None:
    """The store's customer, locked against deletion (not against other links or edits of its
    other columns: `FOR NO KEY UPDATE`) until the end of the transaction; None if the store has no
    such customer."""
    return Customer.objects.select_for_update(no_key=True).filter(pk=customer_id, tenant_id=tenant_id).first()
