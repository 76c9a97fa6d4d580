"""The generic endpoint checks (tests/generic.py) on the store's service levels
(`/api/tickets/service-levels/` and `.../{priority}/`). Every store reads its own; only the owner
changes them; cashiers do not work with tickets."""

import itertools

from savdo.support import services
from savdo.support.models import ServiceLevel
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.generic import EndpointChecks
from tests.support.factories import staff

LEVELS = "/api/tickets/service-levels/"
# A service level is addressed by its priority, not an id: the same path in every store.
LEVEL = LEVELS + "high/"
_minutes = itertools.count(7)


def _levels_of(tenant):
    return list(ServiceLevel.objects.filter(tenant=tenant).order_by("pk").values())


class TestServiceLevelEndpoints(EndpointChecks):
    model = ServiceLevel
    list_path = LEVELS
    detail_path = LEVEL
    forbidden = [
        ("get", LEVELS, Role.CASHIER),
        ("get", LEVEL, Role.CASHIER),
        ("put", LEVEL, Role.ADMIN),
        ("patch", LEVEL, Role.MANAGER),
        ("delete", LEVEL, Role.AGENT),
    ]

    def make_object(self, tenant):
        """The store's own targets for `high` (distinct minutes each time)."""
        minutes = next(_minutes)
        return services.service_level_set(
            tenant=tenant,
            membership=staff(tenant, Role.OWNER),
            priority="high",
            first_response_minutes=minutes,
            resolution_minutes=minutes * 10,
        )

    def test_other_tenants_object_is_404(self, tenant, other_tenant):
        """There is no other store's id to ask for: the path is this store's own row. Another
        store's targets do not show in it, and this store's owner changing and resetting it leaves
        the other store's row as it was."""
        owner = Member(tenant, Role.OWNER)
        foreign = self.make_object(other_tenant)
        before = _levels_of(other_tenant)
        body = owner.client.get(LEVEL).json()
        assert body["is_default"] is True
        assert body["first_response_minutes"] != foreign.first_response_minutes
        response = owner.client.patch(LEVEL, {"resolution_minutes": 999}, format="json")
        assert (response.status_code, response.json()["resolution_minutes"]) == (200, 999)
        assert owner.client.delete(LEVEL).status_code == 204
        assert _levels_of(other_tenant) == before
        assert not _levels_of(tenant)

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        """The rows are priorities (no ids): this store's own targets show, another store's never."""
        owner = Member(tenant, Role.OWNER)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        response = owner.client.get(LEVELS)
        assert response.status_code == 200, response.content[:300]
        changed = [row for row in response.json() if not row["is_default"]]
        assert [(r["priority"], r["first_response_minutes"]) for r in changed] == [("high", own.first_response_minutes)]
        minutes = {(r["first_response_minutes"], r["resolution_minutes"]) for r in response.json()}
        assert (foreign.first_response_minutes, foreign.resolution_minutes) not in minutes
