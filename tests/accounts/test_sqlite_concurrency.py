"""The embedded SQLite database takes concurrent writers: WAL, IMMEDIATE transactions, busy timeout.

Runs in a subprocess on a real SQLite file (the test database is in memory, which has neither WAL
nor several connections), with the project's own settings.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, threading
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction
from savdo.tenancy.models import Tenant

options = settings.DATABASES["default"]
with connection.schema_editor() as editor:
    editor.create_model(Tenant)
mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
busy = connection.cursor().execute("PRAGMA busy_timeout").fetchone()[0]
connection.close()

THREADS, WRITES = 20, 10
barrier = threading.Barrier(THREADS)
errors = []

def writer(index):
    try:
        barrier.wait(timeout=30)
        for n in range(WRITES):
            # read, then write in one transaction: the pattern that fails at once with deferred
            # transactions ("database is locked" on the lock upgrade)
            with transaction.atomic():
                count = Tenant.objects.count()
                Tenant.objects.create(name=f"t{index}-{n}-{count}")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()

threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({
    "engine": options["ENGINE"], "name": str(options["NAME"]), "journal_mode": mode, "busy_timeout": busy,
    "transaction_mode": options["OPTIONS"].get("transaction_mode"), "errors": errors,
    "rows": Tenant.objects.count(),
}))
"""


def test_twenty_concurrent_writers_never_see_database_is_locked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="savdo.settings", SAVDO_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["engine"] == "savdo.core.sqlite"
    assert report["name"] == str(tmp_path / "savdo.sqlite3")
    assert report["journal_mode"] == "wal"
    assert report["busy_timeout"] >= 5000
    assert report["transaction_mode"] == "IMMEDIATE"
    assert report["errors"] == []
    assert report["rows"] == 20 * 10
