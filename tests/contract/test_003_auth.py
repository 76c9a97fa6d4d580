"""Document 003 (CRM /api/v1) authentication: login, logout, refresh, in the `{success, ...}` envelope."""

import pytest
from rest_framework.test import APIClient

from savdo.tenancy.models import Role
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
REFRESH = "/api/v1/auth/refresh"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def login(client, user) -> dict:
    response = client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def unauthorized(response, message: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {"success": False, "error": {"code": "UNAUTHORIZED", "message": message}}


# --- POST /auth/login -------------------------------------------------------------------------


def test_login_answers_the_documented_body(anon):
    membership = MembershipFactory(role=Role.MANAGER, user__first_name="Dilnoza", user__last_name="Karimova")
    user = membership.user
    response = anon.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    assert set(body["data"]) == {"user", "token", "refreshToken"}
    assert body["data"]["user"] == {"id": user.pk, "email": user.email, "name": "Dilnoza Karimova", "role": "manager"}
    assert isinstance(body["data"]["token"], str) and body["data"]["token"].count(".") == 2
    assert isinstance(body["data"]["refreshToken"], str) and body["data"]["refreshToken"] != body["data"]["token"]


def test_login_email_is_case_insensitive(anon):
    user = MembershipFactory(user__email="Aziz@Example.com").user
    response = anon.post(LOGIN, {"email": "aziz@example.COM", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == user.pk


def test_login_role_is_the_role_in_the_selected_store(anon):
    membership = MembershipFactory(role=Role.OWNER)
    second = TenantFactory()
    MembershipFactory(user=membership.user, tenant=second, role=Role.AGENT)
    response = anon.post(
        LOGIN, {"email": membership.user.email, "password": PASSWORD}, format="json", HTTP_X_TENANT_KEY=second.key
    )
    assert response.json()["data"]["user"]["role"] == "agent"
    assert login(anon, membership.user)["user"]["role"] == "owner"


def test_login_of_a_user_without_a_store_has_the_default_role(anon):
    user = UserFactory(first_name="", last_name="")
    data = login(anon, user)
    assert data["user"] == {"id": user.pk, "email": user.email, "name": user.username, "role": "user"}


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "nobody@example.com", "password": PASSWORD},  # unknown email
        {"email": "known@example.com", "password": "wrong-password"},  # wrong password
    ],
)
def test_login_wrong_credentials_is_401_with_one_message(anon, credentials):
    UserFactory(email="known@example.com")
    response = anon.post(LOGIN, credentials, format="json")
    unauthorized(response, "Неверный адрес электронной почты или пароль.")


def test_login_validation_error(anon):
    response = anon.post(LOGIN, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "email: Введите корректный адрес электронной почты.",
            "details": {"email": ["Введите корректный адрес электронной почты."], "password": ["Обязательное поле."]},
        },
    }


# --- POST /auth/logout ------------------------------------------------------------------------


def test_logout_answers_the_documented_body_and_refuses_both_tokens(anon):
    user = MembershipFactory().user
    data = login(anon, user)
    client = bearer(data["token"])
    response = client.post(LOGOUT, {"refreshToken": data["refreshToken"]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Successfully logged out"}
    # the access token of the session is refused from now on, on every surface
    unauthorized(client.post(LOGOUT, {}, format="json"), "Токен отозван")
    assert client.get("/api/users/profile/").status_code == 401
    # and so is its refresh token
    unauthorized(anon.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json"), "Токен больше не действует")


def test_logout_leaves_other_sessions_alone(anon):
    user = MembershipFactory().user
    first = login(anon, user)
    second = login(anon, user)
    bearer(first["token"]).post(LOGOUT, {"refreshToken": first["refreshToken"]}, format="json")
    assert bearer(second["token"]).get("/api/users/profile/").status_code == 200
    assert anon.post(REFRESH, {"refreshToken": second["refreshToken"]}, format="json").status_code == 200


def test_logout_without_refresh_token_revokes_the_access_token(anon):
    user = MembershipFactory().user
    data = login(anon, user)
    assert bearer(data["token"]).post(LOGOUT).status_code == 200
    assert bearer(data["token"]).get("/api/users/profile/").status_code == 401


def test_logout_without_token_is_401(anon):
    unauthorized(anon.post(LOGOUT, {}, format="json"), "Учетные данные не были предоставлены.")


def test_logout_with_another_users_refresh_token_is_refused_and_changes_nothing(anon):
    mine = login(anon, MembershipFactory().user)
    theirs = login(anon, MembershipFactory().user)
    response = bearer(mine["token"]).post(LOGOUT, {"refreshToken": theirs["refreshToken"]}, format="json")
    unauthorized(response, "Токен принадлежит другому пользователю.")
    assert bearer(mine["token"]).get("/api/users/profile/").status_code == 200
    assert anon.post(REFRESH, {"refreshToken": theirs["refreshToken"]}, format="json").status_code == 200


# --- POST /auth/refresh -----------------------------------------------------------------------


def test_refresh_answers_the_documented_body_and_rotates(anon):
    user = MembershipFactory().user
    data = login(anon, user)
    response = anon.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    assert set(body["data"]) == {"token", "refreshToken"}
    assert body["data"]["refreshToken"] != data["refreshToken"]
    assert bearer(body["data"]["token"]).get("/api/users/profile/").status_code == 200
    # the old refresh token is refused from now on; the new one works once
    unauthorized(anon.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json"), "Токен больше не действует")
    assert anon.post(REFRESH, {"refreshToken": body["data"]["refreshToken"]}, format="json").status_code == 200


def test_refresh_with_an_access_token_is_refused(anon):
    data = login(anon, MembershipFactory().user)
    response = anon.post(REFRESH, {"refreshToken": data["token"]}, format="json")
    unauthorized(response, "У токена неверный тип")


def test_refresh_with_garbage_is_401(anon):
    unauthorized(anon.post(REFRESH, {"refreshToken": "garbage"}, format="json"), "Токен недействителен")


def test_refresh_of_an_inactive_user_is_refused(anon):
    user = MembershipFactory().user
    data = login(anon, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = anon.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json")
    unauthorized(response, "Пользователь неактивен или больше не существует.")


def test_refresh_missing_field_is_400(anon):
    response = anon.post(REFRESH, {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"refreshToken": ["Обязательное поле."]}
