"""The private names of Django, DRF and psycopg that Savdo's fast paths use.

`pyproject.toml` pins these dependencies to the minor versions tested here. An upgrade that renames
or removes one of these names fails this test loudly, instead of a fast path failing in production:
update the fast path (or drop it) before widening the pin.

Users: savdo/core/fixed.py (Django model/queryset internals), savdo/core/versions.py and
savdo/core/postgresql/base.py (a test case's wrapping blocks, the backend's COMMIT), savdo/api/plain.py and
savdo/api/fastlists.py (DRF serializer internals), savdo/core/postgresql/connection.py (psycopg's
connection internals).
"""

import inspect

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.transaction import Atomic
from rest_framework import serializers


def test_django_private_names():
    assert callable(Model._prepare_related_fields_for_save)
    assert "operation_name" in inspect.signature(Model._prepare_related_fields_for_save).parameters
    queryset = QuerySet()
    assert hasattr(queryset, "_iterable_class")
    assert hasattr(queryset, "_prefetch_related_lookups")
    # versions.in_transaction tells a test case's wrapping blocks from a transaction of our own
    assert Atomic(None, savepoint=True, durable=False)._from_testcase is False
    # ObservedCommits times the COMMIT itself, not the bookkeeping around it
    assert "_commit" in vars(BaseDatabaseWrapper)
    assert "self._commit()" in inspect.getsource(BaseDatabaseWrapper.commit)


def test_drf_private_names():
    class Probe(serializers.Serializer):
        name = serializers.CharField()

    assert "name" in Probe._declared_fields
    assert [field.field_name for field in Probe()._readable_fields] == ["name"]


def test_psycopg_private_names():
    methods = ("_exec_command", "_get_tx_start_command", "_check_connection_ok")
    for name in methods:
        assert any(name in vars(cls) for cls in psycopg.Connection.__mro__), name
    # Attributes set on every connection by psycopg's BaseConnection.__init__.
    init = inspect.getsource(psycopg.BaseConnection.__init__)
    for name in ("_pipeline", "_prepared", "_autocommit"):
        assert f"self.{name} " in init or f"self.{name}:" in init, name
