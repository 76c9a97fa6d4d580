"""Row locks of the sales package. Lock order across packages: sale (or shift) row first, then
stock balances and batches (`savdo.inventory.lock_objects`), then the customer, then rollup rows.

The till's locks run on every scan and checkout: they are fixed reads (`savdo.core.fixed`),
compiled once per process."""

from django.db.models import F
from django.db.models.lookups import Exact

from savdo.core.fixed import FixedQuery, read_together
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


def session_read(*, tenant_id: int, session_id: int) -> tuple[FixedQuery, tuple]:
    """`session_for_update` as a read for `savdo.core.fixed.read_together` (its rows: the locked
    shift, or none)."""
    return _SESSION, (tenant_id, session_id)


def sale_for_update(sale: Sale) -> Sale:
    """The sale row locked (not its shift's), with its shift loaded."""
    locked = _SALE.first(sale.pk)
    if locked is None:
        raise Sale.DoesNotExist("Sale matching query does not exist.")
    return locked


def sale_and_lines_for_update(sale: Sale, lines: FixedQuery) -> tuple[Sale, list]:
    """`sale_for_update(sale)` and the sale's lines (`lines`: a fixed read of a sale's lines by its
    id), in one round trip. The lines are read once the lock is taken: they are the sale's current
    ones."""
    sales, rows = read_together((_SALE, (sale.pk,)), (lines, (sale.pk,)))
    if not sales:
        raise Sale.DoesNotExist("Sale matching query does not exist.")
    return sales[0], rows


def pending_sale_for_update(*, tenant_id: int, session_id: int) -> Sale | None:
    """The tenant's shift's pending sale (at most one), locked (not the shift), with the shift loaded
    by the same statement."""
    return _PENDING_SALE.first(tenant_id, session_id)


def pending_sale_read(*, tenant_id: int, session_id: int) -> tuple[FixedQuery, tuple]:
    """`pending_sale_for_update` as a read for `savdo.core.fixed.read_together` (its rows: the
    locked sale, or none). Lines of that sale read after it in the same round trip are its current
    ones: they are read once the lock is taken, and while it is held no other sale of the shift
    can be pending."""
    return _PENDING_SALE, (tenant_id, session_id)
