"""The operator admin pages of customers, groups and tags render."""

from django.test import Client

from tests.customers.factories import CustomerFactory, CustomerGroupFactory, TagFactory
from tests.factories import UserFactory


def test_admin_pages_render(tenant):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    customer = CustomerFactory(tenant=tenant, group=CustomerGroupFactory(tenant=tenant))
    tag = TagFactory(tenant=tenant)

    for path in (
        "/admin/customers/customer/",
        "/admin/customers/customer/?q=ali",
        f"/admin/customers/customer/{customer.pk}/change/",
        "/admin/customers/customer/add/",
        "/admin/customers/customergroup/",
        f"/admin/customers/customergroup/{customer.group_id}/change/",
        "/admin/customers/tag/",
        f"/admin/customers/tag/{tag.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
