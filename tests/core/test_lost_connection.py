"""A database connection killed between two requests (`pg_terminate_backend`) is never a 500: a read
is retried once on a fresh connection, a write answers 503 with Retry-After and writes nothing
(savdo/core/postgresql/recovery.py; issue 25)."""

import json

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from django.test import RequestFactory
from django.utils import translation

from savdo.core.postgresql.recovery import LostConnectionMiddleware, is_lost_connection
from savdo.customers.models import Customer

pytestmark = [
    pytest.mark.django_db(transaction=True),  # a request's connection: autocommit, no test transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (pg_terminate_backend)"),
]

LOST = {
    "ru": "Соединение с базой данных потеряно. Повторите попытку через мгновение.",
    "en": "The database connection was lost. Try again in a moment.",
}
CUSTOMERS = "/api/customers/customers/"


def kill_connection() -> int:
    """Terminate the server process behind this thread's connection, from another connection, and
    wait until it is gone (as an administrator or a database restart would). Returns its pid."""
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)
    return pid


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def _fresh_connection_afterwards():
    """A test may leave this thread's connection killed: the database flush after it needs a live one."""
    yield
    connection.close()


@pytest.fixture
def warm(owner):
    """The owner's client, its connection used a moment ago (so the health check is skipped)."""
    assert owner.client.get(CUSTOMERS).status_code == 200
    return owner


def test_a_read_on_a_killed_connection_is_retried_on_a_fresh_one(warm):
    killed = kill_connection()
    response = warm.client.get(CUSTOMERS, {"search": "not cached"})  # a new question: no cached answer
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
    assert backend_pid() != killed


def test_a_retried_read_answers_what_the_database_holds(warm, tenant):
    Customer.objects.create(tenant=tenant, first_name="Aziz", last_name="Karimov", phone="+998901112233")
    kill_connection()
    response = warm.client.get("/api/customers/customers/search_by_phone/", {"phone": "+998901112233"})
    assert response.status_code == 200, response.content


def test_a_write_on_a_killed_connection_is_a_503_with_retry_after_and_writes_nothing(warm):
    kill_connection()
    payload = {"first_name": "Aziz", "last_name": "Karimov", "phone": "+998901112233"}
    response = warm.client.post(CUSTOMERS, payload, format="json")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "1"
    assert response.json() == {"status": "error", "message": LOST["ru"]}
    assert Customer.objects.count() == 0
    # the client retries after the pause: a fresh connection takes it
    retried = warm.client.post(CUSTOMERS, payload, format="json")
    assert retried.status_code == 201, retried.content
    assert Customer.objects.count() == 1


def test_the_503_speaks_the_request_language(warm):
    kill_connection()
    response = warm.client.patch(f"{CUSTOMERS}999999/", {"first_name": "X"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "message": LOST["en"]}


def test_the_503_has_the_shape_of_the_surface():
    middleware = LostConnectionMiddleware(lambda request: None)
    with translation.override("en"):
        crm = middleware.unavailable(RequestFactory().post("/api/v1/customers"))
        clients = middleware.unavailable(RequestFactory().post("/api/clients"))
    assert json.loads(crm.content) == {
        "success": False,
        "error": {"code": "SERVICE_UNAVAILABLE", "message": LOST["en"]},
    }
    assert json.loads(clients.content) == {"message": LOST["en"], "code": "SERVICE_UNAVAILABLE"}
    assert crm["Retry-After"] == clients["Retry-After"] == "1"


def test_a_read_whose_retry_fails_too_is_a_503(warm, monkeypatch):
    kill_connection()

    def refuse(self, conn_params):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(type(connections["default"]), "get_new_connection", refuse)
    response = warm.client.get(CUSTOMERS, {"search": "refused"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {"status": "error", "message": LOST["ru"]}
    monkeypatch.undo()
    assert warm.client.get(CUSTOMERS).status_code == 200


def test_other_database_errors_are_not_taken_for_a_lost_connection():
    with pytest.raises(OperationalError) as timeout, connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")
        try:
            cursor.execute("SELECT pg_sleep(1)")
        finally:
            cursor.execute("SET statement_timeout = 0")
    assert not is_lost_connection(timeout.value)
    assert not is_lost_connection(ValueError("x"))
    assert is_lost_connection(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert is_lost_connection(psycopg.InterfaceError("the connection is closed"))


def test_the_middleware_leaves_other_errors_alone():
    middleware = LostConnectionMiddleware(lambda request: None)
    request = RequestFactory().get("/api/customers/customers/")
    assert middleware.process_exception(request, ValueError("x")) is None
    assert middleware.process_exception(request, OperationalError("deadlock detected")) is None


def test_a_connection_lost_after_the_last_statement_does_not_spoil_the_answer(tenant):
    """The end of a request releases the connection's tenant binding; if the connection died after
    the view's last statement, the release drops it quietly and the answer stands (found by the
    fault drill: these were 500s for checkouts that had committed)."""
    from savdo.core import rls

    if not rls.enabled(connection):
        pytest.skip("row-level security is off")
    rls.enter(tenant.pk)
    Customer.objects.for_tenant(tenant).count()  # binds the connection
    assert connection.savdo_rls_bound == tenant.pk
    kill_connection()
    rls.leave()  # must not raise
    assert connection.connection is None
    assert Customer.objects.for_tenant(tenant).count() >= 0  # a new connection, unbound
