"""Row locks of the sales package. Lock order across packages: sale (or shift) row first, then
stock balances and batches (`savdo.inventory.lock_objects`), then the customer, then rollup rows."""

from savdo.sales.choices import SaleStatus
from savdo.sales.models import CashSession, Sale


def session_for_update(session: CashSession) -> CashSession:
    return CashSession.objects.select_for_update().get(pk=session.pk)


def sale_for_update(sale: Sale) -> Sale:
    """The sale row locked (not its shift's), with its shift loaded."""
    return Sale.objects.select_for_update(of=("self",)).select_related("session").get(pk=sale.pk)


def pending_sale_for_update(session: CashSession) -> Sale | None:
    """The shift's pending sale (at most one), locked (not the shift)."""
    return Sale.objects.select_for_update().filter(session=session, status=SaleStatus.PENDING).first()
