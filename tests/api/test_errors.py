"""Every surface renders every error in its document's shape, and never answers 500 for bad input."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from savdo.accounts.models import User
from tests.api.shapes import SURFACES, error_message, validation_errors
from tests.api.urls import SURFACES as PREFIXES

pytestmark = pytest.mark.urls("tests.api.urls")


def url(surface: str, rest: str) -> str:
    return f"/{PREFIXES[surface][0]}/{rest}"


@pytest.mark.parametrize("surface", SURFACES)
def test_field_validation_is_400_with_field_messages(anon, surface):
    response = anon.get(url(surface, "raise/validation/"))
    assert validation_errors(surface, response) == {"name": ["Name is wrong."]}


@pytest.mark.parametrize("surface", SURFACES)
def test_django_validation_error_is_400_not_500(anon, surface):
    response = anon.get(url(surface, "raise/django-validation/"))
    assert validation_errors(surface, response) == {"phone": ["Phone is wrong."]}


def test_crm_validation_message_names_the_field(anon):
    body = anon.get(url("crm_v1", "raise/validation/")).json()
    assert body == {
        "success": False,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "name: Name is wrong.",
            "details": {"name": ["Name is wrong."]},
        },
    }


def test_clients_validation_body(anon):
    body = anon.get(url("clients", "raise/validation/")).json()
    assert body == {
        "message": "name: Name is wrong.",
        "code": "VALIDATION_ERROR",
        "errors": {"name": ["Name is wrong."]},
    }


@pytest.mark.parametrize("surface", SURFACES)
def test_401_without_token(anon, surface):
    response = anon.get(url(surface, "private/"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_message(surface, response) == "Учетные данные не были предоставлены."


@pytest.mark.parametrize("surface", SURFACES)
def test_401_with_a_garbage_token(anon, surface):
    response = anon.get(url(surface, "private/"), HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 401
    assert error_message(surface, response) == "Токен недействителен ни для одного типа токенов"


@pytest.mark.parametrize("surface", SURFACES)
def test_403(anon, surface):
    response = anon.get(url(surface, "raise/forbidden/"))
    assert response.status_code == 403
    assert error_message(surface, response) == "У вас нет прав для выполнения этого действия."


@pytest.mark.parametrize("surface", SURFACES)
def test_404_raised_in_a_view(anon, surface):
    response = anon.get(url(surface, "raise/not-found/"))
    assert response.status_code == 404
    assert error_message(surface, response) == "Не найдено."


@pytest.mark.parametrize("surface", SURFACES)
def test_404_unknown_route_under_the_surface(anon, surface):
    for method in ("get", "post", "delete"):
        response = getattr(anon, method)(url(surface, "no/such/route/"))
        assert response.status_code == 404
        assert error_message(surface, response) == "Не найдено."


@pytest.mark.parametrize("surface", SURFACES)
def test_405(anon, surface):
    response = anon.post(url(surface, "echo/"), {}, format="json")
    assert response.status_code == 405
    assert error_message(surface, response) == 'Метод "POST" не разрешен.'


@pytest.mark.parametrize("surface", SURFACES)
def test_409(anon, surface):
    response = anon.get(url(surface, "raise/conflict/"))
    assert response.status_code == 409
    assert error_message(surface, response) == "Конфликт."


@pytest.mark.parametrize("surface", SURFACES)
def test_415_wrong_content_type(anon, surface):
    response = anon.put(url(surface, "echo/"), "name=Ali", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_message(surface, response) == (
        'Неподдерживаемый тип данных "application/x-www-form-urlencoded" в запросе.'
    )


@pytest.mark.parametrize("surface", SURFACES)
def test_malformed_json_is_400(anon, surface):
    response = anon.put(url(surface, "echo/"), '{"name": "Ali",', content_type="application/json")
    assert response.status_code == 400
    assert error_message(surface, response).startswith("Некорректное тело запроса: JSON parse error")


@pytest.mark.parametrize("surface", SURFACES)
def test_json_body_is_parsed(anon, surface):
    response = anon.put(url(surface, "echo/"), {"name": "Алишер"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"received": {"name": "Алишер"}}


@pytest.mark.parametrize("surface", SURFACES)
def test_413_oversized_body(anon, surface, settings):
    settings.MAX_BODY_BYTES = 1000
    response = anon.put(url(surface, "echo/"), {"name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert error_message(surface, response) == "Тело запроса слишком большое (не более 1000 байт)."


def test_413_message_follows_accept_language(anon, settings):
    settings.MAX_BODY_BYTES = 1000
    body = {"name": "x" * 2000}
    uz = anon.put(url("retail", "echo/"), body, format="json", HTTP_ACCEPT_LANGUAGE="uz")
    assert uz.json()["message"] == "So'rov tanasi juda katta (ko'pi bilan 1000 bayt)."
    en = anon.put(url("retail", "echo/"), body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["message"] == "Request body is too large (at most 1000 bytes)."
    # The language chosen for one request does not leak into the next one.
    ru = anon.put(url("retail", "echo/"), body, format="json")
    assert ru.json()["message"] == "Тело запроса слишком большое (не более 1000 байт)."


@pytest.mark.parametrize("surface", SURFACES)
def test_429_throttled_with_retry_after(anon, surface, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"test": "2/min"})
    assert anon.get(url(surface, "throttled/")).status_code == 200
    assert anon.get(url(surface, "throttled/")).status_code == 200
    response = anon.get(url(surface, "throttled/"))
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    assert error_message(surface, response).startswith("Слишком много запросов. Повторите через ")


def test_429_message_plural_forms(anon, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"test": "1/min"})
    anon.get(url("crm_v1", "throttled/"))
    response = anon.get(url("crm_v1", "throttled/"), HTTP_ACCEPT_LANGUAGE="en")
    wait = int(response["Retry-After"])
    expected = f"Too many requests. Try again in {wait} second{'s' if wait != 1 else ''}."
    assert response.json()["error"]["message"] == expected


@pytest.mark.parametrize("surface", SURFACES)
def test_unexpected_exception_is_a_json_500(surface):
    client = APIClient()
    client.raise_request_exception = False
    response = client.get(url(surface, "raise/crash/"))
    assert response.status_code == 500
    assert error_message(surface, response) == "Внутренняя ошибка сервера."


def test_refused_write_changes_nothing(anon):
    before = User.objects.count()
    response = anon.post(
        "/api/users/auth/register/",
        {"username": "ali", "password": "Xq7!long-pass", "password2": "different"},
        format="json",
    )
    assert response.status_code == 400
    assert User.objects.count() == before


def test_non_ascii_is_not_escaped_in_json_responses(anon):
    """DRF bodies and the plain JsonResponse bodies (404, 413, health) keep Cyrillic readable."""
    drf = anon.get(url("retail", "echo/"))
    assert "Пользователь".encode() in drf.content
    not_found = anon.get("/api/v1/nothing/here")
    assert "Не найдено.".encode() in not_found.content
    assert b"\\u" not in not_found.content


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("[1, 2]", {"non_field_errors": ["Недопустимые данные. Ожидался словарь (объект), а получен list."]}),
        ('"text"', {"non_field_errors": ["Недопустимые данные. Ожидался словарь (объект), а получен str."]}),
        ("null", {"non_field_errors": ["Данные не переданы"]}),
        (
            '{"username": {"a": 1}, "password": [1]}',
            {"username": ["Требуется строка."], "password": ["Требуется строка."]},
        ),
    ],
)
def test_json_of_the_wrong_kind_is_400(anon, body, errors):
    response = anon.post("/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == errors


def test_json_that_is_not_utf8_is_400(anon):
    response = anon.post("/api/v1/auth/login", b"\xff\xfe\x00", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_safe_json_parser_turns_deep_nesting_into_a_parse_error():
    import io

    from rest_framework.exceptions import ParseError

    from savdo.api.parsers import SafeJSONParser

    with pytest.raises(ParseError):
        SafeJSONParser().parse(io.BytesIO(b"[" * 100_000 + b"]" * 100_000), "application/json", {})


def _default_parser_is_safe() -> bool:
    from rest_framework.settings import api_settings

    from savdo.api.parsers import SafeJSONParser

    return all(
        issubclass(parser, SafeJSONParser)
        for parser in api_settings.DEFAULT_PARSER_CLASSES
        if "json" in parser.media_type
    )


def test_deeply_nested_json_is_400_not_500():
    client = APIClient()
    client.raise_request_exception = False
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/users/auth/login/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/deals/", {"success": False, "error": {"code": "CONFLICT", "message": "Конфликт."}}),
        ("/api/clients/1", {"message": "Конфликт.", "code": "CONFLICT"}),
        ("/api/sims/", {"status": "error", "message": "Конфликт."}),
        ("/api/products/products/", {"status": "error", "message": "Конфликт."}),
    ],
)
def test_the_path_aware_handler_picks_the_surface_shape(path, expected):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from savdo.api.errors import Conflict, exception_handler

    request = Request(APIRequestFactory().get(path))
    response = exception_handler(Conflict(), {"request": request, "view": None})
    assert response.status_code == 409
    assert response.data == expected
