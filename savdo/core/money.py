"""Money is Decimal with two places, quantities Decimal with three; never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY_MAX_DIGITS = 14
MONEY_PLACES = 2
QUANTITY_MAX_DIGITS = 14
QUANTITY_PLACES = 3

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
ZERO = Decimal("0.00")
ZERO_QTY = Decimal("0.000")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    """Round half up to the cent, as tills and receipts do."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value) -> Decimal:
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        super().__init__(*args, **kwargs)


class QuantityField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", QUANTITY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", QUANTITY_PLACES)
        super().__init__(*args, **kwargs)
