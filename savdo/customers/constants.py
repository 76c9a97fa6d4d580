"""Numbers the customer rules depend on."""

from decimal import Decimal

# Document 000 §8: VIP customers are those with a discount of at least 10 %.
VIP_DISCOUNT_PERCENT = Decimal("10")
