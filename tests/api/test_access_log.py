"""The access log: one line per request (method, path, status, duration, store), none for the probes,
and a 4xx is not logged a second time by Django's `django.request` logger."""

import logging
import re

import pytest

ACCESS = "savdo.access"
LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>\d+\.\d) ms store=(?P<store>\S+)$")


@pytest.fixture(autouse=True)
def _access_log_first(settings):
    """The access log is the outermost middleware (see the lead's wiring in settings.MIDDLEWARE)."""
    name = "savdo.api.middleware.AccessLogMiddleware"
    settings.MIDDLEWARE = [name, *(entry for entry in settings.MIDDLEWARE if entry != name)]


def _lines(caplog) -> list[re.Match]:
    found = [record for record in caplog.records if record.name == ACCESS]
    assert all(record.levelno == logging.INFO for record in found)
    return [LINE.match(record.getMessage()) for record in found]


def test_a_successful_request_is_one_line_with_its_store(caplog, owner):
    caplog.set_level(logging.INFO, logger=ACCESS)
    response = owner.client.get("/api/customers/customers/", {"search": "+998901234567"})
    assert response.status_code == 200
    (line,) = _lines(caplog)
    assert line is not None
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/customers/customers/", "200")
    assert line["store"] == str(owner.tenant.pk)
    assert float(line["ms"]) > 0
    assert "998901234567" not in caplog.text  # the query string (what was searched) is not logged


def test_a_4xx_is_logged_once(caplog, owner, other_tenant):
    caplog.set_level(logging.INFO)  # every logger, Django's included
    response = owner.client.get("/api/customers/customers/999999999/")
    assert response.status_code == 404
    anonymous = owner.client.__class__().post("/api/customers/customers/", {}, format="json")
    assert anonymous.status_code == 401
    lines = _lines(caplog)
    assert [(line["method"], line["status"], line["store"]) for line in lines] == [
        ("GET", "404", str(owner.tenant.pk)),
        ("POST", "401", "-"),
    ]
    assert [record for record in caplog.records if record.name == "django.request"] == []


def test_probes_are_not_logged(caplog, client):
    caplog.set_level(logging.INFO, logger=ACCESS)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz/").status_code == 200
    assert _lines(caplog) == []


def test_a_body_refused_before_any_view_is_logged(caplog, owner, settings):
    caplog.set_level(logging.INFO, logger=ACCESS)
    settings.MAX_BODY_BYTES = 10
    response = owner.client.post("/api/customers/customers/", {"first_name": "x" * 50}, format="json")
    assert response.status_code == 413
    (line,) = _lines(caplog)
    assert (line["method"], line["status"], line["store"]) == ("POST", "413", "-")
