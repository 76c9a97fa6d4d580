"""Vocabularies and state machines of shifts and sales (document 001 "Статусы продаж", "Способы оплаты")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShiftStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SaleStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    MOBILE = "mobile", _("Mobile payment")
    TRANSFER = "transfer", _("Transfer")


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


# The state machines, in one place. A shift: open -> closed. A sale:
#   pending -> completed (checkout) | cancelled (cancel); its lines and customer change only while pending;
#   completed -> completed (a partial refund) | refunded (the refund that leaves nothing to refund).
SHIFT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShiftStatus.OPEN: frozenset({ShiftStatus.CLOSED}),
    ShiftStatus.CLOSED: frozenset(),
}
SALE_TRANSITIONS: dict[str, frozenset[str]] = {
    SaleStatus.PENDING: frozenset({SaleStatus.COMPLETED, SaleStatus.CANCELLED}),
    SaleStatus.COMPLETED: frozenset({SaleStatus.COMPLETED, SaleStatus.REFUNDED}),
    SaleStatus.CANCELLED: frozenset(),
    SaleStatus.REFUNDED: frozenset(),
}
# The statuses each sale command starts from ("edit": change lines or the customer).
SALE_COMMAND_SOURCES: dict[str, frozenset[str]] = {
    "edit": frozenset({SaleStatus.PENDING}),
    "checkout": frozenset({SaleStatus.PENDING}),
    "cancel": frozenset({SaleStatus.PENDING}),
    "refund": frozenset({SaleStatus.COMPLETED}),
}


def sale_command_allowed(command: str, status: str) -> bool:
    return status in SALE_COMMAND_SOURCES[command]


def sale_can_become(status: str, target: str) -> bool:
    return target in SALE_TRANSITIONS.get(status, frozenset())


def shift_can_close(status: str) -> bool:
    return ShiftStatus.CLOSED in SHIFT_TRANSITIONS.get(status, frozenset())
