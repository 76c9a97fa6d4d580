"""Analytics fixtures: the frozen clock and the demo shop (see `tests.analytics.shop`)."""

import pytest

from tests.analytics.shop import build_other_shop, build_shop, clock  # noqa: F401  (fixture)


@pytest.fixture
def shop(tenant, clock):  # noqa: F811
    return build_shop(tenant, clock)


@pytest.fixture
def other_shop(other_tenant, clock, shop):  # noqa: F811
    """Built after `shop`, so both tenants sell on the same days."""
    return build_other_shop(other_tenant, clock)
