"""OpenAPI schema, Swagger UI and ReDoc work offline; `savdo check --deploy` is clean in production."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def schema(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return (
        response.json() if response["Content-Type"].startswith("application/json") else yaml.safe_load(response.content)
    )


def test_schema_documents_every_auth_operation(schema):
    paths = schema["paths"]
    for path in (
        "/api/users/auth/register/",
        "/api/users/auth/login/",
        "/api/users/profile/",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/refresh",
        "/api/auth/login/",
        "/api/auth/refresh/",
    ):
        matches = [p for p in paths if p.rstrip("/") == path.rstrip("/")]
        assert matches, (path, sorted(paths))


def test_schema_tags_operations_by_document_and_declares_the_jwt_scheme(schema):
    def operation(path, method="post"):
        return next(v for p, v in schema["paths"].items() if p.rstrip("/") == path.rstrip("/"))[method]

    assert operation("/api/users/auth/register")["tags"] == ["retail (documents 000, 001)"]
    assert operation("/api/v1/auth/login")["tags"] == ["crm v1 (document 003)"]
    assert operation("/api/auth/login")["tags"] == ["telecom (document 004)"]
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert {"jwtAuth": []} in operation("/api/users/profile", "get")["security"]
    # sign-in endpoints take no token
    assert operation("/api/auth/login").get("security") in (None, [], [{}])


def test_each_surface_has_its_own_component_names(schema):
    components = schema["components"]["schemas"]
    for name in ("RetailLoginRequest", "CrmLoginRequest", "TelecomLoginRequest", "TelecomTokenPair"):
        assert name in components, sorted(components)


def test_swagger_and_redoc_use_local_assets(anon):
    for path in ("/swagger/", "/redoc/"):
        page = anon.get(path).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    for asset in (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ):
        response = anon.get(asset)
        assert response.status_code == 200, asset


def _production_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    alphabet = string.ascii_letters + string.digits + string.punctuation.replace("'", "").replace('"', "")
    env.update(
        SAVDO_ENV="production",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(60)),
        ALLOWED_HOSTS="example.com",
        SAVDO_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _savdo(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "savdo.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_in_production_reports_nothing(tmp_path):
    result = _savdo("check", "--deploy", "--fail-level", "WARNING", env=_production_env(tmp_path), cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_without_secret_key_or_with_debug(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = _savdo("check", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    env = {**_production_env(tmp_path), "DEBUG": "1"}
    result = _savdo("check", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_schema_mock_request_carries_an_empty_tenant():
    from rest_framework.views import APIView

    from savdo.api.schema import mock_request

    request = mock_request("GET", "/api/users/profile/", APIView(), None)
    assert request.tenant is None
    assert request.membership is None


def _mock_request_installed() -> bool:
    from drf_spectacular.settings import spectacular_settings

    from savdo.api.schema import mock_request

    return spectacular_settings.GET_MOCK_REQUEST is mock_request


def test_schema_generation_gives_tenant_scoped_views_their_model():
    assert _mock_request_installed()
