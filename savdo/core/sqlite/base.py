"""Django's SQLite backend, writing each transaction's data versions with its COMMIT
(savdo/core/versions.py)."""

from django.db.backends.sqlite3 import base

from savdo.core.versions import VersionedCommits


class DatabaseWrapper(VersionedCommits, base.DatabaseWrapper):
    pass
