"""Telecom reads: lists with their joins declared, searches, statistics in one query each.

Every list selector starts from the store and joins what its rows show, so a page costs the same
number of queries whatever its size; every statistics selector is one aggregate query (two for
tariffs: totals and the most used ones).
"""

from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from savdo.core.money import ZERO, MoneyField
from savdo.core.phones import phone_search_digits
from savdo.customers.models import Customer, CustomerStatus
from savdo.customers.selectors import customer_search
from savdo.telecom.choices import (
    ContractStatus,
    DocumentType,
    PaymentMethod,
    PaymentStatus,
    SimStatus,
    TariffType,
    TransactionType,
)
from savdo.telecom.models import BalanceEntry, Contract, Payment, SimCard, Tariff
from savdo.tenancy.models import Tenant

MAX_SEARCH_TERM = 100
POPULAR_TARIFFS = 10


def _count_of(model, field: str) -> Subquery:
    """A correlated `COUNT(*)` of `model` rows whose `field` is the outer row (no GROUP BY join)."""
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _money_sum(expression: str, **filters) -> Coalesce:
    return Coalesce(Sum(expression, filter=Q(**filters) if filters else None), Value(ZERO), output_field=MoneyField())


def _counts_by(rows: list[dict], field: str, values: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(values, 0)
    for row in rows:
        counts[row[field]] = counts.get(row[field], 0) + row["n"]
    return counts


# --- subscribers --------------------------------------------------------------------------------


def subscriber_list(*, tenant: Tenant) -> QuerySet[Customer]:
    """The store's customers (every customer is a possible subscriber), newest first, with
    `contracts_count` and `active_contracts_count`."""
    active = Contract.objects.filter(customer=OuterRef("pk"), status=ContractStatus.ACTIVE)
    active_count = active.order_by().values("customer").annotate(n=Count("pk")).values("n")
    return (
        Customer.objects.for_tenant(tenant)
        .annotate(
            contracts_count=_count_of(Contract, "customer"),
            active_contracts_count=Coalesce(Subquery(active_count, output_field=IntegerField()), Value(0)),
        )
        .order_by("-created_at", "-id")
    )


def subscriber_search(queryset: QuerySet[Customer], term: str) -> QuerySet[Customer]:
    """Subscribers whose name, phone or e-mail contain `term` (the customers' search digest)."""
    return customer_search(queryset, term)


def subscriber_statistics(queryset: QuerySet[Customer]) -> dict:
    """Counts of `queryset`'s subscribers: total, by status, by document type, with contracts."""
    base = queryset.order_by()
    by_status = list(base.values("status").annotate(n=Count("pk")))
    by_document = list(base.values("document_type").annotate(n=Count("pk")))
    totals = base.aggregate(
        with_contracts=Count("pk", filter=Q(contracts__isnull=False), distinct=True),
        with_active_contracts=Count("pk", filter=Q(contracts__status=ContractStatus.ACTIVE), distinct=True),
    )
    documents = _counts_by([r for r in by_document if r["document_type"]], "document_type", DocumentType.values)
    without = sum(r["n"] for r in by_document if not r["document_type"])
    return {
        "total": sum(r["n"] for r in by_status),
        "by_status": _counts_by(by_status, "status", CustomerStatus.values),
        "by_document_type": {**documents, "none": without},
        "with_contracts": totals["with_contracts"],
        "with_active_contracts": totals["with_active_contracts"],
    }


# --- SIM cards ----------------------------------------------------------------------------------


def sim_list(*, tenant: Tenant) -> QuerySet[SimCard]:
    """The store's SIM cards, newest first, with their contract's number."""
    return SimCard.objects.for_tenant(tenant).select_related("contract").order_by("-created_at", "-id")


def sim_free(*, tenant: Tenant) -> QuerySet[SimCard]:
    return sim_list(tenant=tenant).filter(status=SimStatus.FREE)


def sim_search(queryset: QuerySet[SimCard], term: str) -> QuerySet[SimCard]:
    """SIM cards whose ICCID, IMSI or MSISDN contain `term`. `?search=+996550` arrives as
    " 996550" (a `+` in a query string is a space): a phone-like term searches by its digits."""
    term = (term or "").replace("\x00", "")[:MAX_SEARCH_TERM].strip()
    digits = phone_search_digits(term)
    word = digits or term.lstrip("+")
    if not word:
        return queryset
    return queryset.filter(Q(iccid__contains=word) | Q(imsi__contains=word) | Q(msisdn__icontains=word))


def sim_statistics(queryset: QuerySet[SimCard]) -> dict:
    rows = list(queryset.order_by().values("status").annotate(n=Count("pk")))
    return {"total": sum(r["n"] for r in rows), "by_status": _counts_by(rows, "status", SimStatus.values)}


# --- tariffs ------------------------------------------------------------------------------------


def tariff_list(*, tenant: Tenant) -> QuerySet[Tariff]:
    """The store's tariffs by priority (then id), with `contracts_count` and `active_contracts_count`."""
    active = Contract.objects.filter(tariff=OuterRef("pk"), status=ContractStatus.ACTIVE)
    active_count = active.order_by().values("tariff").annotate(n=Count("pk")).values("n")
    return (
        Tariff.objects.for_tenant(tenant)
        .annotate(
            contracts_count=_count_of(Contract, "tariff"),
            active_contracts_count=Coalesce(Subquery(active_count, output_field=IntegerField()), Value(0)),
        )
        .order_by("priority", "id")
    )


def tariff_active(*, tenant: Tenant) -> QuerySet[Tariff]:
    return tariff_list(tenant=tenant).filter(is_active=True)


def tariff_search(queryset: QuerySet[Tariff], term: str) -> QuerySet[Tariff]:
    """Tariffs whose name or description contain every word of `term` (case-insensitive)."""
    for word in (term or "").replace("\x00", "")[:MAX_SEARCH_TERM].split()[:8]:
        queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return queryset


def tariff_statistics(queryset: QuerySet[Tariff]) -> dict:
    """Totals of `queryset`'s tariffs and the most used ones (by active contracts)."""
    totals = queryset.order_by().aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(is_active=True)),
        prepaid=Count("pk", filter=Q(tariff_type=TariffType.PREPAID)),
        postpaid=Count("pk", filter=Q(tariff_type=TariffType.POSTPAID)),
    )
    popular = queryset.order_by("-active_contracts_count", "-contracts_count", "priority", "id")[:POPULAR_TARIFFS]
    return {
        "total": totals["total"],
        "active": totals["active"],
        "inactive": totals["total"] - totals["active"],
        "by_type": {TariffType.PREPAID.value: totals["prepaid"], TariffType.POSTPAID.value: totals["postpaid"]},
        "popular": [
            {
                "id": tariff.pk,
                "name": tariff.name,
                "contracts_count": tariff.contracts_count,
                "active_contracts_count": tariff.active_contracts_count,
            }
            for tariff in popular
        ],
    }


# --- contracts ----------------------------------------------------------------------------------


def contract_list(*, tenant: Tenant) -> QuerySet[Contract]:
    """The store's contracts, newest first, with the subscriber and the tariff joined and the SIM
    cards prefetched."""
    return (
        Contract.objects.for_tenant(tenant)
        .select_related("customer", "tariff")
        .prefetch_related("sims")
        .order_by("-created_at", "-id")
    )


def contract_search(queryset: QuerySet[Contract], term: str) -> QuerySet[Contract]:
    """Contracts whose number contains `term` (`CTR-2024`), case-insensitive."""
    term = (term or "").replace("\x00", "")[:MAX_SEARCH_TERM].strip()
    if not term:
        return queryset
    return queryset.filter(number__icontains=term)


def contract_statistics(queryset: QuerySet[Contract]) -> dict:
    """Counts by status and balances of `queryset`'s contracts (one query)."""
    totals = queryset.order_by().aggregate(
        total=Count("pk"),
        total_balance=_money_sum("balance"),
        in_debt=Count("pk", filter=Q(balance__lt=0)),
        debt=_money_sum("balance", balance__lt=0),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in ContractStatus.values},
    )
    return {
        "total": totals["total"],
        "by_status": {status: totals[f"status_{status}"] for status in ContractStatus.values},
        "total_balance": totals["total_balance"],
        "in_debt": totals["in_debt"],
        "total_debt": -totals["debt"],
    }


def contract_ledger_sum(*, contract: Contract) -> Decimal:
    """The sum of the contract's ledger entries (equals its balance)."""
    return BalanceEntry.objects.filter(contract=contract).aggregate(s=_money_sum("amount"))["s"]


def balance_entries(*, contract: Contract) -> QuerySet[BalanceEntry]:
    """The contract's ledger, oldest first, with the payment each entry came from."""
    return (
        BalanceEntry.objects.filter(tenant_id=contract.tenant_id, contract=contract)
        .select_related("payment")
        .order_by("created_at", "id")
    )


# --- payments -----------------------------------------------------------------------------------


def payment_list(*, tenant: Tenant) -> QuerySet[Payment]:
    """The store's payments, newest first, with the contract joined."""
    return Payment.objects.for_tenant(tenant).select_related("contract").order_by("-created_at", "-id")


def payment_pending(*, tenant: Tenant) -> QuerySet[Payment]:
    """Payments waiting to be processed (pending or processing)."""
    return payment_list(tenant=tenant).filter(status__in=[PaymentStatus.PENDING, PaymentStatus.PROCESSING])


def payment_search(queryset: QuerySet[Payment], term: str) -> QuerySet[Payment]:
    term = (term or "").replace("\x00", "")[:MAX_SEARCH_TERM].strip()
    if not term:
        return queryset
    return queryset.filter(transaction_id__icontains=term)


def payment_statistics(queryset: QuerySet[Payment]) -> dict:
    """Counts and sums of `queryset`'s payments by status, by method and by type (successful
    top-ups and charges), in one query."""
    aggregates = {"total": Count("pk"), "total_amount": _money_sum("amount")}
    for status in PaymentStatus.values:
        aggregates[f"s_{status}_n"] = Count("pk", filter=Q(status=status))
        aggregates[f"s_{status}_a"] = _money_sum("amount", status=status)
    for method in PaymentMethod.values:
        aggregates[f"m_{method}_n"] = Count("pk", filter=Q(payment_method=method))
        aggregates[f"m_{method}_a"] = _money_sum("amount", payment_method=method)
    for kind in TransactionType.values:
        aggregates[f"t_{kind}_n"] = Count("pk", filter=Q(transaction_type=kind, status=PaymentStatus.SUCCESS))
        aggregates[f"t_{kind}_a"] = _money_sum("amount", transaction_type=kind, status=PaymentStatus.SUCCESS)
    totals = queryset.order_by().aggregate(**aggregates)
    return {
        "total": totals["total"],
        "total_amount": totals["total_amount"],
        "by_status": {s: {"count": totals[f"s_{s}_n"], "amount": totals[f"s_{s}_a"]} for s in PaymentStatus.values},
        "by_method": {m: {"count": totals[f"m_{m}_n"], "amount": totals[f"m_{m}_a"]} for m in PaymentMethod.values},
        "successful": {t: {"count": totals[f"t_{t}_n"], "amount": totals[f"t_{t}_a"]} for t in TransactionType.values},
    }
