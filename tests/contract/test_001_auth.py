"""Document 001 §1 (Authentication, /api/users/): register, login, profile."""

import pytest
from rest_framework.test import APIClient

from savdo.accounts.models import User
from savdo.tenancy.models import Membership, Role, Tenant
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

REGISTER = "/api/users/auth/register/"
LOGIN = "/api/users/auth/login/"
PROFILE = "/api/users/profile/"

# The document's own example request.
EXAMPLE = {
    "username": "testuser",
    "email": "test@example.com",
    "password": "TestPass123!",
    "password2": "TestPass123!",
    "first_name": "Test",
    "last_name": "User",
    "store_name": "Test Store",
    "phone": "+998901234567",
}
USER_FIELDS = {"id", "username", "email", "first_name", "last_name", "full_name", "phone", "date_joined"}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- 1.1 register -----------------------------------------------------------------------------


def test_register_answers_the_documented_envelope(anon):
    response = anon.post(REGISTER, EXAMPLE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == "success"
    assert body["message"] == "Пользователь успешно зарегистрирован"
    assert set(body["data"]) == {"user", "tokens"}
    assert set(body["data"]["tokens"]) == {"access", "refresh"}
    user = User.objects.get(username="testuser")
    assert body["data"]["user"] == {
        "id": user.pk,
        "username": "testuser",
        "email": "test@example.com",
        "first_name": "Test",
        "last_name": "User",
        "full_name": "Test User",
        "phone": "+998901234567",
        "date_joined": body["data"]["user"]["date_joined"],
    }
    assert set(body["data"]["user"]) == USER_FIELDS
    assert "password" not in response.content.decode()


def test_register_creates_the_store_with_the_user_as_owner(anon):
    anon.post(REGISTER, EXAMPLE, format="json")
    user = User.objects.get(username="testuser")
    membership = Membership.objects.select_related("tenant").get(user=user)
    assert membership.role == Role.OWNER
    assert membership.is_active
    assert membership.tenant.name == "Test Store"
    assert membership.tenant.phone_region == "UZ"
    assert user.check_password("TestPass123!")
    assert user.password.startswith("argon2$")


def test_register_takes_the_store_phone_region_from_the_phone(anon):
    payload = {**EXAMPLE, "phone": "+77012345678"}  # a Kazakh mobile number
    assert anon.post(REGISTER, payload, format="json").status_code == 201
    assert Membership.objects.get(user__username="testuser").tenant.phone_region == "KZ"


def test_register_without_store_name_or_phone(anon):
    payload = {"username": "ali", "password": EXAMPLE["password"], "password2": EXAMPLE["password"]}
    response = anon.post(REGISTER, payload, format="json")
    assert response.status_code == 201, response.content
    tenant = Membership.objects.get(user__username="ali").tenant
    assert tenant.name == "Магазин ali"
    assert tenant.phone_region == "UZ"


def test_register_tokens_work(anon):
    tokens = anon.post(REGISTER, EXAMPLE, format="json").json()["data"]["tokens"]
    profile = bearer(tokens["access"]).get(PROFILE)
    assert profile.status_code == 200
    assert profile.json()["data"]["tenants"][0]["role"] == "owner"
    assert anon.post("/api/users/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"password2": "TestPass123?"}, {"password2": ["Пароли не совпадают."]}),
        ({"password": "12345678", "password2": "12345678"}, None),
        ({"phone": "12345"}, {"phone": ["Введите правильное значение."]}),
        ({"phone": "+99890123"}, {"phone": ["Введите правильное значение."]}),
        ({"email": "not-an-email"}, {"email": ["Введите корректный адрес электронной почты."]}),
        ({"username": "bad name!"}, {"username": ["Значение не соответствует требуемому шаблону."]}),
        ({"username": ""}, {"username": ["Это поле не может быть пустым."]}),
    ],
)
def test_register_validation(anon, change, errors):
    before = (User.objects.count(), Tenant.objects.count(), Membership.objects.count())
    response = anon.post(REGISTER, {**EXAMPLE, **change}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    if errors is None:  # Django's password validators: every failing rule is listed
        assert set(body) == {"password"}
        assert "Введённый пароль слишком широко распространён." in body["password"]
        assert "Введённый пароль состоит только из цифр." in body["password"]
    else:
        assert body == errors
    assert (User.objects.count(), Tenant.objects.count(), Membership.objects.count()) == before


def test_register_password_similar_to_the_username_is_refused(anon):
    payload = {**EXAMPLE, "username": "gulnora1990", "password": "gulnora1990", "password2": "gulnora1990"}
    response = anon.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    assert response.json()["password"][0].startswith("Введённый пароль слишком похож на")


def test_register_required_fields(anon):
    response = anon.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "username": ["Обязательное поле."],
        "password": ["Обязательное поле."],
        "password2": ["Обязательное поле."],
    }


def test_register_refuses_a_taken_username_whatever_its_case(anon):
    UserFactory(username="TestUser")
    response = anon.post(REGISTER, EXAMPLE, format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["Пользователь с таким именем уже существует."]}
    assert not Tenant.objects.filter(name="Test Store").exists()


def test_register_refuses_a_taken_email_whatever_its_case(anon):
    UserFactory(email="TEST@example.com")
    response = anon.post(REGISTER, EXAMPLE, format="json")
    assert response.status_code == 400
    assert response.json() == {"email": ["Пользователь с таким адресом электронной почты уже существует."]}
    assert not User.objects.filter(username="testuser").exists()


def test_register_reports_every_field_problem_at_once(anon):
    UserFactory(username="testuser", email="test@example.com")
    payload = {**EXAMPLE, "phone": "123", "password": "123", "password2": "123"}
    body = anon.post(REGISTER, payload, format="json").json()
    assert set(body) == {"username", "email", "phone", "password"}


# --- 1.2 login --------------------------------------------------------------------------------


def test_login_answers_user_and_tokens(anon):
    membership = MembershipFactory()
    user = membership.user
    response = anon.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "success"
    assert body["message"] == "Вход выполнен успешно"
    assert set(body["data"]) == {"user", "tokens"}
    assert body["data"]["user"]["id"] == user.pk
    assert set(body["data"]["user"]) == USER_FIELDS
    assert bearer(body["data"]["tokens"]["access"]).get(PROFILE).status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [{"username": "nobody", "password": PASSWORD}, {"username": "known", "password": "wrong-password"}],
)
def test_login_wrong_credentials_is_401(anon, credentials):
    UserFactory(username="known")
    response = anon.post(LOGIN, credentials, format="json")
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Неверное имя пользователя или пароль."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_login_inactive_user_is_401(anon):
    UserFactory(username="gone", is_active=False)
    response = anon.post(LOGIN, {"username": "gone", "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_login_missing_fields_is_400(anon):
    response = anon.post(LOGIN, {"username": "ali"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["Обязательное поле."]}


def test_login_ignores_a_stale_token_in_the_header(anon):
    UserFactory(username="ali")
    response = anon.post(
        LOGIN, {"username": "ali", "password": PASSWORD}, format="json", HTTP_AUTHORIZATION="Bearer expired.or.junk"
    )
    assert response.status_code == 200


# --- 1.3 profile ------------------------------------------------------------------------------


def test_profile_lists_the_user_and_their_stores_with_keys_and_roles():
    first = TenantFactory(name="Chilonzor")
    second = TenantFactory(name="Yunusobod")
    gone = TenantFactory(name="Closed")
    membership = MembershipFactory(tenant=first, role=Role.OWNER)
    user = membership.user
    MembershipFactory(user=user, tenant=second, role=Role.CASHIER)
    MembershipFactory(user=user, tenant=gone, role=Role.MANAGER, is_active=False)
    response = bearer(str(_access(user))).get(PROFILE)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == USER_FIELDS | {"tenants"}
    assert data["id"] == user.pk
    assert data["tenants"] == [
        {"id": first.pk, "name": "Chilonzor", "key": first.key, "role": "owner", "time_zone": "Asia/Tashkent",
         "currency": "UZS"},
        {"id": second.pk, "name": "Yunusobod", "key": second.key, "role": "cashier", "time_zone": "Asia/Tashkent",
         "currency": "UZS"},
    ]  # fmt: skip


def test_profile_works_for_a_user_without_a_store():
    user = UserFactory()
    response = bearer(str(_access(user))).get(PROFILE)
    assert response.status_code == 200
    assert response.json()["data"]["tenants"] == []


def test_profile_without_token_is_401(anon):
    response = anon.get(PROFILE)
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Учетные данные не были предоставлены."}


def _access(user):
    from rest_framework_simplejwt.tokens import AccessToken

    return AccessToken.for_user(user)
