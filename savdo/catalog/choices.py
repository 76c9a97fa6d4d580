"""Vocabularies of the catalog."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    """Unit a product is sold in (001 §2.2 `unit`). Weight, volume and length may be fractional."""

    PIECE = "pcs", _("piece")
    KILOGRAM = "kg", _("kilogram")
    GRAM = "g", _("gram")
    LITRE = "l", _("litre")
    MILLILITRE = "ml", _("millilitre")
    METRE = "m", _("metre")
    BOX = "box", _("box")
    PACK = "pack", _("pack")


FRACTIONAL_UNITS = frozenset({Unit.KILOGRAM, Unit.GRAM, Unit.LITRE, Unit.MILLILITRE, Unit.METRE})


def unit_allows_fractions(unit: str) -> bool:
    return unit in FRACTIONAL_UNITS
