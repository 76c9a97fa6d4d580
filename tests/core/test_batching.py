"""`batched_atomic`: writes after `send_with_commit()` reach PostgreSQL with the COMMIT, and a failure
anywhere still leaves nothing written.

Test transactions wrap every test in an atomic block, inside which nothing is queued (the COMMIT
comes later): these tests commit for real (`transaction=True`)."""

import pytest
from django.db import IntegrityError, connection, transaction

from savdo.catalog.models import Category
from savdo.core.batching import after_commit_results, batched_atomic, queuing, send_with_commit
from savdo.core.fixed import insert_rows, save_row
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode is PostgreSQL's")


def _category(tenant, name):
    return Category(tenant=tenant, name=name)


def _pipeline_off():
    from psycopg import pq

    return connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF


@postgresql_only
def test_queued_writes_are_answered_after_the_commit():
    tenant = TenantFactory()
    first, second, third = (_category(tenant, name) for name in ("Dairy", "Bakery", "Drinks"))
    seen = []
    with batched_atomic():
        save_row(first)  # answered at once: nothing queued yet
        assert first.pk is not None and not queuing()
        send_with_commit()
        assert queuing()
        save_row(second)
        insert_rows([third])
        first.name = "Milk"
        save_row(first, ["name"])
        assert (second.pk, third.pk) == (None, None)  # the ids come with the COMMIT's answer
        after_commit_results(lambda: seen.append((second.pk is not None, third.pk is not None)))
    assert seen == [(True, True)]
    assert _pipeline_off()
    stored = dict(Category.objects.filter(tenant=tenant).values_list("pk", "name"))
    assert stored == {first.pk: "Milk", second.pk: "Bakery", third.pk: "Drinks"}


@postgresql_only
def test_a_failing_queued_write_fails_the_block_and_writes_nothing():
    tenant = TenantFactory()
    taken = Category.objects.create(tenant=tenant, name="Taken")
    opened = connection.connection
    seen = []
    with pytest.raises(IntegrityError), batched_atomic():
        save_row(_category(tenant, "Written before the queue"))
        send_with_commit()
        save_row(_category(tenant, "Queued"))
        insert_rows([_category(tenant, "Taken")])  # names are unique per tenant
        Category.objects.filter(pk=taken.pk).update(name="Renamed")  # queued after the failure
        after_commit_results(lambda: seen.append("ran"))
    assert seen == []
    assert connection.connection is opened and _pipeline_off()  # rolled back, not dropped
    assert list(Category.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["Taken"]
    with transaction.atomic():  # the connection goes on as usual
        assert Category.objects.filter(tenant=tenant).count() == 1


@postgresql_only
def test_an_error_raised_after_queueing_rolls_everything_back():
    tenant = TenantFactory()
    with pytest.raises(ValueError, match="refused"), batched_atomic():
        save_row(_category(tenant, "Before"))
        send_with_commit()
        save_row(_category(tenant, "Queued"))
        raise ValueError("refused")
    assert _pipeline_off()
    assert not Category.objects.filter(tenant=tenant).exists()


def test_inside_an_enclosing_transaction_nothing_is_queued():
    tenant = TenantFactory()
    with transaction.atomic(), batched_atomic():
        send_with_commit()
        assert not queuing()
        category = _category(tenant, "Dairy")
        save_row(category)
        assert category.pk is not None
    assert Category.objects.filter(pk=category.pk).exists()


def test_without_pipeline_support_or_a_block_callbacks_run_at_once():
    seen = []
    send_with_commit()  # outside a block: nothing to do
    after_commit_results(lambda: seen.append(1))
    assert seen == [1] and not queuing()
    if connection.vendor == "sqlite":
        with batched_atomic():
            send_with_commit()
            assert not queuing()


@postgresql_only
def test_reads_after_queueing_still_answer():
    tenant = TenantFactory()
    with batched_atomic():
        send_with_commit()
        category = _category(tenant, "Dairy")
        save_row(category)
        # a read sends what is queued and waits for it: the row is there
        assert Category.objects.filter(tenant=tenant, name="Dairy").count() == 1
    assert category.pk is not None


@postgresql_only
def test_as_a_decorator_each_call_in_each_thread_has_its_own_block():
    import threading
    import time

    tenant = TenantFactory()
    barrier = threading.Barrier(6)

    @batched_atomic()
    def add(name):
        save_row(_category(tenant, name + " first"))
        barrier.wait(timeout=30)  # every thread inside its block at once
        send_with_commit()
        category = _category(tenant, name)
        save_row(category)
        time.sleep(0.01)
        return category

    def run(name, out):
        try:
            out[name] = add(name)
        finally:
            connection.close()

    out = {}
    threads = [threading.Thread(target=run, args=(f"C{i}", out)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(out) == [f"C{i}" for i in range(6)] and all(c.pk for c in out.values())
    assert Category.objects.filter(tenant=tenant).count() == 12


@postgresql_only
def test_commit_without_flush_holds_for_its_transaction_only(settings):
    from savdo.core.batching import commit_without_flush

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    tenant = TenantFactory()
    with batched_atomic():
        send_with_commit()
        commit_without_flush()
        save_row(_category(tenant, "Cart line"))
        assert setting() == "off"
    assert setting() == "on"
    assert Category.objects.filter(tenant=tenant, name="Cart line").exists()
    settings.SAVDO_CART_ASYNC_COMMIT = False
    with transaction.atomic():
        commit_without_flush()
        assert setting() == "on"


@postgresql_only
def test_a_queued_update_refuses_to_tell_its_row_count():
    tenant = TenantFactory()
    category = Category.objects.create(tenant=tenant, name="Dairy")
    with batched_atomic():
        assert Category.objects.filter(pk=category.pk).update(name="Milk") == 1  # answered at once
        send_with_commit()
        rows = Category.objects.filter(pk=category.pk).update(name="Cheese")
        with pytest.raises(RuntimeError, match="not known"):
            bool(rows)
        with pytest.raises(RuntimeError):
            rows == 1  # noqa: B015 - the comparison itself must raise
    assert Category.objects.get(pk=category.pk).name == "Cheese"
