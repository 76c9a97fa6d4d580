"""Vocabularies of the stock ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MovementKind(models.TextChoices):
    """Why stock moved. Receipts and refunds add, sales take, adjustments go either way."""

    RECEIPT = "receipt", _("Receipt")
    SALE = "sale", _("Sale")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")
