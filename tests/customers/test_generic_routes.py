"""The generic endpoint checks (tests/generic.py) on `search_by_phone/`, which finds a customer by
phone rather than by id: the path's `{pk}` is the customer's phone (see `_path`)."""

from urllib.parse import quote

from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.generic import EndpointChecks
from tests.sales.factories import make_customer

SEARCH = "/api/customers/customers/search_by_phone/?phone={pk}"


class TestSearchByPhoneEndpoint(EndpointChecks):
    extra_paths = [SEARCH]
    forbidden = [("get", SEARCH, Role.AGENT)]

    def make_object(self, tenant):
        return make_customer(tenant)

    def _path(self, template, customer):
        return template.format(pk=quote(customer.phone))

    def test_the_same_phone_in_two_stores_finds_each_stores_own(self, tenant, other_tenant):
        own = make_customer(tenant, first_name="Aziz")
        theirs = make_customer(other_tenant, first_name="Bobur", phone=own.phone)
        path = self._path(SEARCH, own)
        assert Member(other_tenant, Role.CASHIER).client.get(path).json()["data"]["id"] == theirs.pk  # cached
        response = Member(tenant, Role.CASHIER).client.get(path)
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        assert data["id"] == own.pk
        assert "Bobur" not in response.content.decode()
