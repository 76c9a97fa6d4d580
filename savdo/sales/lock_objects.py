"""Row locks of the sales package. Lock order across packages: sale (or shift) row first, then
stock balances and batches (`savdo.inventory.lock_objects`), then the customer, then rollup rows.

The till's locks run on every scan and checkout: they are fixed reads (`savdo.core.fixed`),
compiled once per process."""

from django.db.models import F
from django.db.models.lookups import Exact

from savdo.core.fixed import FixedQuery
from savdo.core.sql import Literal
from savdo.sales.choices import SaleStatus
from savdo.sales.models import CashSession, Sale

_SALE = FixedQuery(lambda pk: Sale.objects.select_for_update(of=("self",)).select_related("session").filter(pk=pk))
_SESSION = FixedQuery(lambda tenant_id, pk: CashSession.objects.select_for_update().filter(tenant_id=tenant_id, pk=pk))
# The status is in the statement's text: a prepared statement's generic plan then uses the
# one-pending-sale-per-shift index instead of walking every sale of the shift.
_PENDING_SALE = FixedQuery(
    lambda tenant_id, session_id: (
        Sale.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(Exact(F("status"), Literal(SaleStatus.PENDING)), tenant_id=tenant_id, session_id=session_id)
        .order_by("pk")[:1]
    )
)


def session_for_update(*, tenant_id: int, session_id: int) -> CashSession | None:
    """The tenant's shift row locked, or None if the tenant has no such shift."""
    return _SESSION.first(tenant_id, session_id)


def sale_for_update(sale: Sale) -> Sale:
    """The sale row locked (not its shift's), with its shift loaded."""
    locked = _SALE.first(sale.pk)
    if locked is None:
        raise Sale.DoesNotExist("Sale matching query does not exist.")
    return locked


def pending_sale_for_update(*, tenant_id: int, session_id: int) -> Sale | None:
    """The tenant's shift's pending sale (at most one), locked (not the shift), with the shift loaded
    by the same statement."""
    return _PENDING_SALE.first(tenant_id, session_id)
