"""The generic endpoint checks (tests/generic.py) on every route of document 002's clients surface:
401 without a token, another store's rows are 404 and absent from lists, a tenant in the payload is
ignored, roles (cashiers and agents may not delete, import, export, or change tags), and lists with
a constant number of queries."""

from savdo.customers.models import Customer, Tag
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, TagFactory
from tests.generic import EndpointChecks


def _client(tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Иван Петров", segment="VIP")
    customer.tags.add(TagFactory(tenant=tenant), TagFactory(tenant=tenant))
    return customer


class TestClientEndpoints(EndpointChecks):
    list_path = "/api/clients"
    detail_path = "/api/clients/{pk}"
    list_query_params = "limit=50"
    model = Customer
    create_payload = staticmethod(lambda tenant: {"name": "Мария Иванова", "phone": "+79165551234"})
    forbidden = [
        ("delete", "/api/clients/{pk}", "cashier"),
        ("delete", "/api/clients/{pk}", "agent"),
        ("get", "/api/clients/export", "cashier"),
        ("get", "/api/clients/export", "agent"),
        ("post", "/api/clients/import", "cashier"),
        ("post", "/api/clients/import", "agent"),
    ]

    def make_object(self, tenant):
        return _client(tenant)


class TestClientStatsEndpoint(EndpointChecks):
    list_path = "/api/clients/stats"
    model = Customer

    def make_object(self, tenant):
        return _client(tenant)

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        """Stats count only the store's clients."""
        mine = Member(tenant, Role.OWNER)
        _client(tenant)
        _client(other_tenant)
        _client(other_tenant)
        assert mine.client.get("/api/clients/stats").json()["total"] == 1


class TestClientTagEndpoints(EndpointChecks):
    list_path = "/api/clients/tags"
    detail_path = "/api/clients/tags/{pk}"
    list_query_params = "limit=50"
    model = Tag
    create_payload = staticmethod(lambda tenant: {"name": "Оптовик", "color": "#4CAF50"})
    forbidden = [
        ("delete", "/api/clients/tags/{pk}", "cashier"),
        ("put", "/api/clients/tags/{pk}", "cashier"),
        ("patch", "/api/clients/tags/{pk}", "agent"),
    ]

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        """The list's rows are under `tags` (which the generic check does not look for)."""
        mine = Member(tenant, Role.OWNER)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        response = mine.client.get(f"{self.list_path}?{self.list_query_params}")
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["tags"]] == [own.pk]
        assert foreign.pk != own.pk

    def make_object(self, tenant):
        tag = TagFactory(tenant=tenant)
        tag.customers.add(CustomerFactory(tenant=tenant))
        return tag
