"""Builders of the support domain's rows for tests: tickets through the services (numbers,
deadlines and history as in production), contracts of the telecom package directly."""

from datetime import datetime
from decimal import Decimal

from savdo.support import services
from savdo.support.models import Ticket
from savdo.telecom.models import Contract, Tariff
from savdo.tenancy.models import Role
from tests.customers.factories import CustomerFactory
from tests.factories import MembershipFactory


def staff(tenant, role: str = Role.MANAGER):
    """A membership of `tenant` in `role` (a manager by default)."""
    return MembershipFactory(tenant=tenant, role=role)


def contract_of(customer, number: str | None = None) -> Contract:
    """A draft contract of `customer` on a fresh tariff of its store (rows written directly: the
    telecom services are not what these tests are about)."""
    tariff = Tariff.objects.create(
        tenant_id=customer.tenant_id, name=f"Tariff {Tariff.objects.count() + 1}", monthly_fee=Decimal("100")
    )
    number = number or f"CTR-2025-{Contract.objects.count() + 1:06d}"
    return Contract.objects.create(tenant_id=customer.tenant_id, number=number, customer=customer, tariff=tariff)


def make_ticket(
    tenant,
    *,
    membership=None,
    customer=None,
    opened_at: datetime | None = None,
    **fields,
) -> Ticket:
    """A ticket opened through `ticket_create` (by a new manager of the store unless given)."""
    membership = membership or staff(tenant)
    customer = customer or CustomerFactory(tenant=tenant)
    fields.setdefault("subject", "Нет интернета")
    return services.ticket_create(
        tenant=tenant, membership=membership, customer=customer, opened_at=opened_at, **fields
    )
