from decimal import Decimal

from django.utils.translation import gettext as _

from savdo.catalog.exceptions import RuleViolation


class InsufficientStock(RuleViolation):
    """Not enough stock of a product (or of a batch) and the tenant does not allow negative stock."""

    default_code = "insufficient_stock"

    @classmethod
    def of(cls, product_name: str, available: Decimal, requested: Decimal, batch_number: str | None = None):
        """The refusal naming the product (and batch), what is on hand and what was asked for."""
        if batch_number is not None:
            return cls(
                _(
                    'Not enough stock of "%(product)s" in batch %(batch)s: '
                    "%(available)s on hand, %(requested)s requested."
                )
                % {"product": product_name, "batch": batch_number, "available": available, "requested": requested}
            )
        return cls(
            _('Not enough stock of "%(product)s": %(available)s on hand, %(requested)s requested.')
            % {"product": product_name, "available": available, "requested": requested}
        )
