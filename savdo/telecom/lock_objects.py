"""Row locks of the telecom package, as plain `select_for_update` querysets.

Lock order (every service takes them in this order, so two services never wait on each other):
payment row first, then the contract row, then SIM rows. A contract's balance and its ledger are
written only while its row is locked.
"""

from django.db.models import QuerySet

from savdo.telecom.models import Contract, Payment, SimCard


def contract_for_update(*, tenant_id: int, contract_id: int) -> Contract:
    """The tenant's contract locked, with its tariff (not locked). Raises Contract.DoesNotExist."""
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("tariff")
        .get(tenant_id=tenant_id, pk=contract_id)
    )


def payment_for_update(*, tenant_id: int, payment_id: int) -> Payment:
    """The tenant's payment locked. Raises Payment.DoesNotExist."""
    return Payment.objects.select_for_update().get(tenant_id=tenant_id, pk=payment_id)


def sim_for_update(*, tenant_id: int, sim_id: int) -> SimCard:
    """The tenant's SIM card locked. Raises SimCard.DoesNotExist."""
    return SimCard.objects.select_for_update().get(tenant_id=tenant_id, pk=sim_id)


def contract_sims_for_update(*, contract: Contract) -> QuerySet[SimCard]:
    """The SIM cards bound to `contract`, locked in id order (take the contract's lock first)."""
    return SimCard.objects.select_for_update().filter(tenant_id=contract.tenant_id, contract=contract).order_by("pk")
