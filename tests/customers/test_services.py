"""Customer, group and tag writes: normalisation, uniqueness, tenancy, names, atomicity."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from savdo.customers import services
from savdo.customers.models import Customer, CustomerGroup, CustomerStatus, CustomerType, Tag
from savdo.tenancy.models import Role
from tests.customers.factories import CustomerFactory, CustomerGroupFactory, TagFactory
from tests.factories import MembershipFactory, TenantFactory, UserFactory


def test_create_normalises_phone_email_and_names(tenant):
    customer = services.customer_create(
        tenant=tenant,
        first_name="  Иван ",
        phone="90 123 45 67",  # a national form: the tenant's region (UZ) completes it
        phone_2="+998 90 987 65 43",
        email=" Ivan@Example.COM ",
    )

    assert (customer.first_name, customer.phone, customer.phone_2) == ("Иван", "+998901234567", "+998909876543")
    assert customer.email == "ivan@example.com"
    assert customer.status == CustomerStatus.ACTIVE
    assert (customer.total_purchases, customer.total_purchases_count, customer.loyalty_points) == (0, 0, 0)


def test_phones_follow_the_tenants_region():
    kyrgyz = TenantFactory(phone_region="KG")
    customer = services.customer_create(tenant=kyrgyz, first_name="Айбек", phone="0550123456")
    assert customer.phone == "+996550123456"


def test_invalid_phone_is_a_field_error_and_nothing_is_written(tenant):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(tenant=tenant, first_name="A", phone="12", contact_phone="abc")
    assert set(exc.value.message_dict) == {"phone", "contact_phone"}
    assert not Customer.objects.exists()


def test_duplicate_phone_and_email_are_field_errors(tenant):
    services.customer_create(tenant=tenant, first_name="A", phone="+998901234567", email="a@x.uz")

    with pytest.raises(ValidationError) as exc:
        services.customer_create(tenant=tenant, first_name="B", phone="+998901234567", email="A@X.UZ")

    assert exc.value.message_dict == {
        "phone": [str(services.MSG_PHONE_TAKEN)],
        "email": [str(services.MSG_EMAIL_TAKEN)],
    }
    assert Customer.objects.count() == 1


def test_statistics_are_not_writable_through_the_customer_services(tenant):
    with pytest.raises(TypeError):
        services.customer_create(tenant=tenant, first_name="A", total_purchases=Decimal("5"))
    customer = CustomerFactory(tenant=tenant)
    for field in services.STATISTICS_FIELDS:
        with pytest.raises(TypeError):
            services.customer_update(customer=customer, **{field: 1})


def test_related_rows_must_belong_to_the_tenant(tenant, other_tenant):
    foreign_group = CustomerGroupFactory(tenant=other_tenant)
    foreign_tag = TagFactory(tenant=other_tenant)
    outsider = UserFactory()

    with pytest.raises(ValidationError) as exc:
        services.customer_create(tenant=tenant, first_name="A", group=foreign_group, assigned_to=outsider)
    assert set(exc.value.message_dict) == {"group", "assigned_to"}

    with pytest.raises(ValidationError) as exc:
        services.customer_create(tenant=tenant, first_name="A", tags=[foreign_tag])
    assert set(exc.value.message_dict) == {"tags"}
    assert not Customer.objects.exists()


def test_manager_and_tags_of_the_tenant(tenant):
    manager = MembershipFactory(tenant=tenant, role=Role.MANAGER).user
    vip = TagFactory(tenant=tenant, name="VIP")

    customer = services.customer_create(tenant=tenant, first_name="A", assigned_to=manager, tags=[vip])

    assert customer.assigned_to == manager
    assert list(customer.tags.all()) == [vip]
    services.customer_update(customer=customer, tags=[])
    assert not customer.tags.exists()


def test_company_needs_a_company_name_also_when_the_type_changes_later(tenant):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(tenant=tenant, first_name="A", customer_type=CustomerType.COMPANY)
    assert exc.value.message_dict == {"company_name": ["Для юридического лица обязательно укажите название компании"]}

    customer = CustomerFactory(tenant=tenant)
    with pytest.raises(ValidationError):
        services.customer_update(customer=customer, customer_type=CustomerType.COMPANY)
    customer.refresh_from_db()
    assert customer.customer_type == CustomerType.INDIVIDUAL


@pytest.mark.parametrize(
    ("name", "first", "middle", "last"),
    [
        ("Test Customer", "Test", "", "Customer"),
        ("Иван Петрович Петров", "Иван", "Петрович", "Петров"),
        ("Мадина", "Мадина", "", ""),
        ("  a   b  c  d ", "a", "b c", "d"),
    ],
)
def test_a_one_string_name_is_split(tenant, name, first, middle, last):
    customer = services.customer_create(tenant=tenant, display_name=name)

    assert (customer.first_name, customer.middle_name, customer.last_name) == (first, middle, last)
    assert customer.full_name == name.strip()


def test_a_company_display_name_is_not_split(tenant):
    customer = services.customer_create(
        tenant=tenant, customer_type=CustomerType.COMPANY, display_name="ООО Ромашка", company_name="ООО Ромашка"
    )
    assert customer.first_name == ""
    assert customer.full_name == "ООО Ромашка"


def test_names_stay_in_step_across_surfaces(tenant):
    customer = services.customer_create(tenant=tenant, first_name="Иван", last_name="Петров")
    assert customer.full_name == "Петров Иван"

    # A one-name surface (001, 002, 003) renames: the parts follow.
    customer = services.customer_update(customer=customer, display_name="Иван Петрович Петров")
    assert customer.full_name == "Иван Петрович Петров"
    assert (customer.first_name, customer.middle_name, customer.last_name) == ("Иван", "Петрович", "Петров")

    # Document 000 edits a part: the shown name follows the parts again.
    customer = services.customer_update(customer=customer, first_name="Ivan")
    assert customer.display_name == ""
    assert customer.full_name == "Петров Ivan Петрович"


def test_update_changes_only_the_given_fields(tenant):
    customer = CustomerFactory(tenant=tenant, city="Самарканд", notes="old")

    updated = services.customer_update(customer=customer, notes="new")

    assert (updated.city, updated.notes) == ("Самарканд", "new")
    customer.refresh_from_db()
    assert customer.notes == "new"


def test_a_refused_update_writes_nothing(tenant):
    taken = CustomerFactory(tenant=tenant)
    customer = CustomerFactory(tenant=tenant, city="Самарканд")

    with pytest.raises(ValidationError):
        services.customer_update(customer=customer, city="Бухара", phone=taken.phone)

    customer.refresh_from_db()
    assert customer.city == "Самарканд"


def test_field_limits_are_field_errors(tenant):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(
            tenant=tenant,
            first_name="x" * 151,
            email="not-an-email",
            discount_percent=Decimal("101"),
            birthday="not a date",
            status="sleeping",
        )
    assert set(exc.value.message_dict) == {"first_name", "email", "discount_percent", "birthday", "status"}


def test_change_status(tenant):
    customer = CustomerFactory(tenant=tenant)

    services.customer_change_status(customer=customer, status=CustomerStatus.SUSPENDED)
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.SUSPENDED
    with pytest.raises(ValidationError):
        services.customer_change_status(customer=customer, status="gone")


# --- groups ------------------------------------------------------------------------------------


def test_group_create_update_and_unique_name(tenant, other_tenant):
    group = services.customer_group_create(tenant=tenant, name=" VIP ", discount_percent=Decimal("15"))
    assert group.name == "VIP"
    services.customer_group_create(tenant=other_tenant, name="VIP")  # another store may use the name

    with pytest.raises(ValidationError) as exc:
        services.customer_group_create(tenant=tenant, name="VIP")
    assert exc.value.message_dict == {"name": [str(services.MSG_GROUP_NAME_TAKEN)]}

    services.customer_group_update(group=group, discount_percent=Decimal("20"))
    group.refresh_from_db()
    assert group.discount_percent == Decimal("20")
    with pytest.raises(ValidationError):
        services.customer_group_update(group=group, discount_percent=Decimal("100.5"))


def test_group_delete_refuses_or_detaches(tenant):
    group = CustomerGroupFactory(tenant=tenant)
    member = CustomerFactory(tenant=tenant, group=group)

    with pytest.raises(services.CustomerGroupInUse) as exc:
        services.customer_group_delete(group=group)
    assert exc.value.members == 1
    assert CustomerGroup.objects.filter(pk=group.pk).exists()

    assert services.customer_group_delete(group=group, detach_members=True) == 1
    member.refresh_from_db()
    assert member.group_id is None
    assert not CustomerGroup.objects.filter(pk=group.pk).exists()

    empty = CustomerGroupFactory(tenant=tenant)
    assert services.customer_group_delete(group=empty) == 0


# --- tags --------------------------------------------------------------------------------------


def test_tags(tenant):
    vip = services.tag_create(tenant=tenant, name="VIP", color="#FFD700")
    with pytest.raises(ValidationError) as exc:
        services.tag_create(tenant=tenant, name="VIP")
    assert set(exc.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as exc:
        services.tag_create(tenant=tenant, name="Red", color="red")
    assert set(exc.value.message_dict) == {"color"}

    services.tag_update(tag=vip, color="#000000")
    vip.refresh_from_db()
    assert vip.color == "#000000"

    tags = services.tags_get_or_create(tenant=tenant, names=["VIP", "постоянный", "VIP", " "])
    assert [t.name for t in tags] == ["VIP", "постоянный"]
    assert tags[0].pk == vip.pk
    assert Tag.objects.filter(tenant=tenant).count() == 2


# --- a lost race reads like the check --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_phone_give_one_customer_and_one_field_error():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    tenant = TenantFactory()
    barrier = threading.Barrier(4)
    results: list = []

    def create(n):
        from django.db import connections

        try:
            barrier.wait()
            services.customer_create(tenant=tenant, first_name=f"N{n}", phone="+998901234567")
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count("ok") == 1
    assert [r for r in results if r != "ok"] == [{"phone": [str(services.MSG_PHONE_TAKEN)]}] * 3
    assert Customer.objects.filter(tenant=tenant).count() == 1
