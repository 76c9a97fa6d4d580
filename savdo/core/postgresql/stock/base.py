"""Django's stock PostgreSQL backend (`SAVDO_PG_BACKEND=0`: every connection pinged before use, BEGIN
on its own round trip, nothing prepared), with only what correctness and the benchmark's figures
need of Savdo's: each transaction's data versions written with its COMMIT (savdo/core/versions.py)
and the COMMIT's time reported to `commit_observers` (savdo/api/sqlstats.py)."""

from django.db.backends.postgresql import base

from savdo.core.postgresql.base import ObservedCommits
from savdo.core.versions import VersionedCommits


class DatabaseWrapper(VersionedCommits, ObservedCommits, base.DatabaseWrapper):
    pass
