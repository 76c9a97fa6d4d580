"""Sales reads: lists, the pending sale, shift cash and reports, a customer's purchases."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from savdo.core.dates import local_day_bounds
from savdo.core.fixed import FixedQuery
from savdo.core.money import ZERO, ZERO_QTY, money
from savdo.core.phones import phone_search_digits
from savdo.customers.models import Customer
from savdo.sales.choices import PaymentMethod, SaleStatus, ShiftStatus
from savdo.sales.models import CashSession, Payment, Refund, RefundPayment, Sale, SaleItem
from savdo.sales.rollups import COUNTED_SALE_STATUSES, local_date
from savdo.tenancy.models import Membership, Tenant
from savdo.tenancy.roles import is_manager


def _zero(value, default=ZERO):
    return default if value is None else value


# --- sales ------------------------------------------------------------------------------------------


def sale_list(*, tenant: Tenant) -> QuerySet[Sale]:
    """Sales with everything their rendering needs, in a constant number of queries."""
    return (
        Sale.objects.for_tenant(tenant)
        .select_related("session", "cashier", "customer")
        .prefetch_related(
            Prefetch("items", SaleItem.objects.order_by("id")),
            Prefetch("payments", Payment.objects.order_by("id")),
            Prefetch("refunds", Refund.objects.order_by("id")),
        )
        .order_by("-created_at", "-id")
    )


def sale_search(sales: QuerySet[Sale], term: str) -> QuerySet[Sale]:
    """Receipt number, customer name (every word must match a name field) or customer phone."""
    term = (term or "").strip()
    if not term:
        return sales
    digits = phone_search_digits(term)
    if digits:
        return sales.filter(Q(receipt_number__icontains=term) | Q(customer__phone__contains=digits))
    condition = Q(receipt_number__icontains=term)
    words = Q()
    for word in term.split():
        words &= (
            Q(customer__first_name__icontains=word)
            | Q(customer__last_name__icontains=word)
            | Q(customer__middle_name__icontains=word)
            | Q(customer__display_name__icontains=word)
            | Q(customer__company_name__icontains=word)
        )
    return sales.filter(condition | words)


def sales_in_local_days(sales: QuerySet[Sale], *, tenant: Tenant, date_from: date | None, date_to: date | None):
    """Sales created on local days `date_from`..`date_to` (either bound optional)."""
    if date_from:
        start, _end = local_day_bounds(tenant, date_from, date_from)
        sales = sales.filter(created_at__gte=start)
    if date_to:
        _start, end = local_day_bounds(tenant, date_to, date_to)
        sales = sales.filter(created_at__lt=end)
    return sales


def sales_today(sales: QuerySet[Sale], *, tenant: Tenant) -> QuerySet[Sale]:
    today = local_date(tenant, timezone.now())
    return sales_in_local_days(sales, tenant=tenant, date_from=today, date_to=today)


_SALE_OF_TENANT = FixedQuery(lambda tenant_id, pk: Sale.objects.filter(tenant_id=tenant_id, pk=pk))


def sale_of_tenant(*, tenant_id: int, sale_id: int) -> Sale | None:
    """The tenant's sale with this id, or None: what a till command looks up first (a fixed read,
    `savdo.core.fixed`; the command then locks it)."""
    return _SALE_OF_TENANT.first(tenant_id, sale_id)


def pending_sale(*, session: CashSession) -> Sale | None:
    return sale_list(tenant=session.tenant).filter(session=session, status=SaleStatus.PENDING).first()


def reserved_quantities(*, tenant: Tenant, product_ids=None) -> dict[int, Decimal]:
    """Quantity of each product in pending sales: rung up at a till, not yet taken from stock
    (analytics' `reserved_quantity`). One query; products with nothing reserved are absent."""
    lines = SaleItem.objects.filter(tenant=tenant, sale__status=SaleStatus.PENDING)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    return {row["product_id"]: row["reserved"] for row in lines.values("product_id").annotate(reserved=Sum("quantity"))}


# --- shifts ----------------------------------------------------------------------------------------


def session_list(*, tenant: Tenant, membership: Membership | None = None) -> QuerySet[CashSession]:
    """The tenant's shifts; given a `membership` below manager (a cashier), only that member's own."""
    sessions = CashSession.objects.for_tenant(tenant).select_related("cashier").order_by("-opened_at", "-id")
    if membership is not None and not is_manager(membership.role):
        sessions = sessions.filter(cashier_id=membership.user_id)
    return sessions


def shift_cash_summary(*, session: CashSession) -> dict[str, Decimal]:
    """Cash in the till: opening balance + cash received - change given - cash refunded in this shift."""
    cash = Payment.objects.filter(sale__session=session, payment_method=PaymentMethod.CASH).aggregate(
        received=Sum("received_amount"), change=Sum("change_amount")
    )
    refunded = RefundPayment.objects.filter(refund__session=session, payment_method=PaymentMethod.CASH).aggregate(
        total=Sum("amount")
    )
    received, change, cash_refunded = _zero(cash["received"]), _zero(cash["change"]), _zero(refunded["total"])
    return {
        "opening_balance": session.opening_balance,
        "cash_received": received,
        "change_given": change,
        "cash_refunded": cash_refunded,
        "expected_cash": session.opening_balance + received - change - cash_refunded,
    }


def shift_report(*, session: CashSession) -> dict:
    """Counts and sums of a shift: sales, cancellations, refunds paid from its till, discounts, tax,
    payments and refunds per method, items sold, and expected/actual cash with the difference."""
    sales = Sale.objects.filter(session=session).aggregate(
        sales_count=Count("id", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        sales_total=Sum("total_amount", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        subtotal=Sum("subtotal", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        discount_total=Sum("discount_amount", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        tax_total=Sum("tax_amount", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        items_sold=Sum("items_quantity", filter=Q(status__in=COUNTED_SALE_STATUSES)),
        cancelled_count=Count("id", filter=Q(status=SaleStatus.CANCELLED)),
        pending_count=Count("id", filter=Q(status=SaleStatus.PENDING)),
    )
    refunds = Refund.objects.filter(session=session).aggregate(
        count=Count("id"), total=Sum("amount"), tax=Sum("tax_amount"), items=Sum("items_quantity")
    )
    by_method = {method: ZERO for method in PaymentMethod.values}
    for row in Payment.objects.filter(sale__session=session).values("payment_method").annotate(total=Sum("amount")):
        by_method[row["payment_method"]] = row["total"]
    refunded_by_method = {method: ZERO for method in PaymentMethod.values}
    for row in (
        RefundPayment.objects.filter(refund__session=session).values("payment_method").annotate(total=Sum("amount"))
    ):
        refunded_by_method[row["payment_method"]] = row["total"]
    cash = shift_cash_summary(session=session)
    sales_total = _zero(sales["sales_total"])
    refunds_total = _zero(refunds["total"])
    sales_count = sales["sales_count"]
    is_closed = session.status == ShiftStatus.CLOSED
    expected = session.expected_cash if is_closed else cash["expected_cash"]
    return {
        "session": session,
        "sales_count": sales_count,
        "sales_total": sales_total,
        "subtotal": _zero(sales["subtotal"]),
        "discount_total": _zero(sales["discount_total"]),
        "tax_total": _zero(sales["tax_total"]),
        "items_sold": _zero(sales["items_sold"], ZERO_QTY),
        "average_sale": money(sales_total / sales_count) if sales_count else ZERO,
        "cancelled_count": sales["cancelled_count"],
        "pending_count": sales["pending_count"],
        "refunds_count": refunds["count"],
        "refunds_total": refunds_total,
        "refunds_tax": _zero(refunds["tax"]),
        "refunded_items": _zero(refunds["items"], ZERO_QTY),
        "net_total": sales_total - refunds_total,
        "payments": by_method,
        "refunds_by_method": refunded_by_method,
        "opening_balance": cash["opening_balance"],
        "cash_received": cash["cash_received"],
        "change_given": cash["change_given"],
        "cash_refunded": cash["cash_refunded"],
        "expected_cash": expected,
        "actual_cash": session.actual_cash,
        "cash_difference": session.cash_difference,
    }


# --- a customer's purchases (document 000 §6, §7) ------------------------------------------------


def customer_purchase_history(
    *, customer: Customer, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Sale]:
    """The customer's purchases, newest first: completed sales (a partly refunded one shows what
    was kept; a fully refunded one is no purchase any more), with their not-refunded lines.

    Their amounts add up to the customer's `total_purchases`, their count to `total_purchases_count`.
    Dates are the tenant's local days of the checkout.
    """
    tenant = customer.tenant
    sales = Sale.objects.filter(tenant=tenant, customer=customer, status=SaleStatus.COMPLETED)
    if date_from:
        sales = sales.filter(completed_at__gte=local_day_bounds(tenant, date_from, date_from)[0])
    if date_to:
        sales = sales.filter(completed_at__lt=local_day_bounds(tenant, date_to, date_to)[1])
    kept_lines = SaleItem.objects.filter(refunded_quantity__lt=F("quantity")).order_by("id")
    return sales.prefetch_related(Prefetch("items", kept_lines)).order_by("-completed_at", "-id")


def customer_purchase_stats(*, customer: Customer) -> dict:
    """Document 000 §7: the customer's purchase statistics as the sales services keep them."""
    return {
        "total_amount": customer.total_purchases,
        "total_count": customer.total_purchases_count,
        "last_purchase": customer.last_purchase_at,
        "loyalty_points": customer.loyalty_points,
    }
