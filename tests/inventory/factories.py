"""Stock test data: goods are brought in through the real service, so ledger and balances agree."""

from decimal import Decimal

from savdo.inventory.services import stock_receive


def receive(product, quantity, *, user=None, batch_number="", expiry_date=None, cost_price=None):
    """Receive `quantity` of `product` (into batch `batch_number` if given); returns the movement."""
    return stock_receive(
        tenant=product.tenant,
        user=user,
        product=product,
        quantity=Decimal(str(quantity)),
        batch_number=batch_number,
        expiry_date=expiry_date,
        cost_price=None if cost_price is None else Decimal(str(cost_price)),
    )
