"""Document 004 (telecom) authentication: `POST /api/auth/login/` and `POST /api/auth/refresh/`."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD, MembershipFactory, UserFactory

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_login_answers_access_and_refresh(anon):
    user = MembershipFactory().user
    response = anon.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert all(isinstance(value, str) and value.count(".") == 2 for value in body.values())
    assert bearer(body["access"]).get("/api/users/profile/").status_code == 200


def test_login_accepts_the_documented_request_without_a_trailing_slash_too(anon):
    user = MembershipFactory().user
    response = anon.post(LOGIN.rstrip("/"), {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [{"username": "nobody", "password": PASSWORD}, {"username": "known", "password": "wrong-password"}],
)
def test_login_wrong_credentials_is_401(anon, credentials):
    UserFactory(username="known")
    response = anon.post(LOGIN, credentials, format="json")
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Неверное имя пользователя или пароль."}


def test_login_validation_error_is_field_messages(anon):
    response = anon.post(LOGIN, {"password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["Обязательное поле."]}


def test_refresh_answers_a_new_pair_and_rotates(anon):
    user = MembershipFactory().user
    pair = anon.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json").json()
    response = anon.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != pair["refresh"]
    assert bearer(new["access"]).get("/api/users/profile/").status_code == 200
    again = anon.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json() == {"status": "error", "message": "Токен больше не действует"}


def test_refresh_with_garbage_is_401(anon):
    response = anon.post(REFRESH, {"refresh": "garbage"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Токен недействителен"}


def test_refresh_validation_error(anon):
    response = anon.post(REFRESH, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"refresh": ["Обязательное поле."]}


@pytest.mark.parametrize("path", [LOGIN, REFRESH])
def test_only_post_is_allowed(anon, path):
    response = anon.get(path)
    assert response.status_code == 405
    assert response.json() == {"status": "error", "message": 'Метод "GET" не разрешен.'}
