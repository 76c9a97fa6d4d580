"""Numbers the customer rules depend on."""

from decimal import Decimal

# Document 000 §8: VIP customers are those with a discount of at least 10 %.
VIP_DISCOUNT_PERCENT = Decimal("10")

# Document 002 import: the most rows one `POST /api/clients/import` takes (a larger batch is a 413
# that says so; split it). 10,000 rows validate and insert in a few seconds.
IMPORT_MAX_ROWS = 10_000

# Document 002 statistics: how many clients `topClients` lists.
CLIENT_TOP_COUNT = 5
