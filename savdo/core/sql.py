"""SQL building blocks the ORM lacks."""

import re

from django.db.models import Value

_PLAIN_WORD = re.compile(r"[a-z_]{1,32}")


class Literal(Value):
    """A constant written into the statement's text, not passed as a parameter.

    With prepared statements, PostgreSQL may plan a statement once for any parameter values (a
    generic plan). A partial index (`WHERE status = 'pending'`) serves only statements whose text
    says that value, so a lookup meant to use one must carry the value as a literal:
    `.filter(Exact(F("status"), Literal(SaleStatus.PENDING)))`. Only plain lowercase words
    (choice values) are accepted: nothing here needs quoting.
    """

    def __init__(self, value: str, output_field=None):
        if not isinstance(value, str) or not _PLAIN_WORD.fullmatch(value):
            raise ValueError(f"Literal takes a plain lowercase word, not {value!r}")
        super().__init__(str(value), output_field)

    def as_sql(self, compiler, connection):
        return f"'{self.value}'", []


# Statements the till runs on every scan and checkout (fixed reads and writes register theirs).
# On PostgreSQL they are prepared on a connection's first use, so they are parsed and planned once
# per connection (savdo/core/postgresql/base.py). Only statements whose plan cannot depend on the
# values belong here: reads and writes of rows by their ids and keys.
PREPARED: set[str] = set()


def prepared(sql: str) -> str:
    """Register `sql` as a till statement to prepare; returns it."""
    PREPARED.add(sql)
    return sql


def is_plain_insert(sql: str) -> bool:
    """An INSERT of given values (`VALUES (...)` or `SELECT * FROM UNNEST(...)`): its plan is the
    same for any values, so it is prepared as well."""
    return sql.startswith("INSERT INTO ") and sql.count("SELECT") == sql.count("SELECT * FROM UNNEST(")
