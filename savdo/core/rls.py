"""PostgreSQL row-level security: the second lock on every tenant-owned table.

Every table of a model with a `tenant` foreign key (`TenantOwned` and the few that name their
tenant themselves) gets a policy that lets a row be seen or written only when its `tenant_id`
equals the session's `savdo.tenant_id` setting:

    USING (tenant_id = NULLIF(current_setting('savdo.tenant_id', true), '')::bigint)

The comparison with a stable expression keeps the tenant indexes usable (the planner treats it as a
parameter), and an unset tenant matches no row: a query that forgets its tenant returns nothing.

Who it binds. The policies bind the `savdo_app` role (`SAVDO_DB_APP_ROLE`), which neither owns the
tables nor bypasses RLS. An API request, once its tenant is known (`savdo.api.base`), switches its
connection to that role and sets `savdo.tenant_id` (`enter`); when the request ends it switches back
(`leave`). Everything else runs as the connecting role, the tables' owner, and so is not bound:
migrations, management commands and the admin, which work across stores on purpose, sign-in (users
and memberships are not tenant-owned) and messenger webhooks, which find their store by the
channel's key before anything else.

`apply_policies` runs after every `migrate` (post_migrate), so new tables get their policy and the
role its grants without a migration of their own. SQLite has no RLS: every function here is a
no-op there.
"""

import re

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from savdo.core import versions

POLICY = "savdo_tenant_isolation"
SETTING = "savdo.tenant_id"
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def app_role() -> str:
    role = getattr(settings, "SAVDO_DB_APP_ROLE", "savdo_app")
    if role and not ROLE_NAME.fullmatch(role):
        raise ImproperlyConfigured("SAVDO_DB_APP_ROLE must be a plain lower-case role name")
    return role


def enabled(connection) -> bool:
    return connection.vendor == "postgresql" and bool(getattr(settings, "SAVDO_RLS", True)) and bool(app_role())


def tenant_tables() -> list[str]:
    """The tables whose rows belong to one tenant: those of `TenantOwned` models.

    Memberships are not among them: they say which stores a user works in, and are read across
    stores before the request's tenant is known."""
    from savdo.core.models import TenantOwned

    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if issubclass(model, TenantOwned) and model._meta.managed and not model._meta.proxy
        }
    )


def apply_policies(using: str = "default") -> list[str]:
    """Create the app role if needed, grant it the tables, and (re)create the policy on every
    tenant-owned table. Idempotent; runs as the tables' owner."""
    connection = connections[using]
    if not enabled(connection):
        return []
    role = app_role()
    quote = connection.ops.quote_name
    tables = tenant_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "
            f"CREATE ROLE {quote(role)} NOLOGIN NOBYPASSRLS; END IF; END $$"
        )
        cursor.execute(f"GRANT {quote(role)} TO CURRENT_USER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quote(role)}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
        for table in tables:
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
            cursor.execute(
                f"CREATE POLICY {POLICY} ON {quote(table)} TO {quote(role)} "
                f"USING (tenant_id = NULLIF(current_setting('{SETTING}', true), '')::bigint)"
            )
    return tables


BIND = "SELECT set_config('savdo.tenant_id', %s, false), set_config('role', %s, false)"
RELEASE = "SELECT set_config('role', 'none', false), set_config('savdo.tenant_id', '', false)"


def enter(tenant_id: int, using: str = "default") -> None:
    """Bind the connection to `tenant_id` for the rest of the request (see the module).

    Lazily: the binding is sent just before the request's first statement (`_bind_first`), so a
    request answered from the cache costs no round trip for it."""
    connection = connections[using]
    if enabled(connection):
        connection.savdo_rls_wanted = tenant_id


def leave(using: str = "default") -> None:
    """Give the connection back its own role and no tenant (end of request). Runs outside any
    transaction of the request, so the release cannot be rolled back."""
    connection = connections[using]
    connection.savdo_rls_wanted = None
    if getattr(connection, "savdo_rls_bound", None) is None:
        return
    connection.savdo_rls_bound = None
    if connection.connection is None or connection.needs_rollback:  # closed: a new one starts unbound
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(RELEASE)
    except DatabaseError:
        # The connection died after the request's last statement (a restart, pg_terminate_backend):
        # the answer is complete and must go out. Drop the connection; a new one starts unbound.
        connection.close()


def _bind_first(execute, sql, params, many, context):
    """An execute wrapper: before a statement of a request bound to a tenant, send the binding once.

    A binding sent inside a transaction that then rolls back is undone with it; the rest of that
    request then runs as the connecting role (scoped by the kernel alone), never as another tenant.
    """
    connection = context["connection"]
    wanted = getattr(connection, "savdo_rls_wanted", None)
    if sql is versions.READ_POSTGRESQL:  # no tenant's rows: a cached answer's only statement stays one
        return execute(sql, params, many, context)
    if wanted is not None and getattr(connection, "savdo_rls_bound", None) != wanted:
        connection.savdo_rls_bound = wanted
        execute(BIND, [str(wanted), app_role()], False, context)
    return execute(sql, params, many, context)


def _connection_created(sender, connection, **kwargs) -> None:
    if enabled(connection) and _bind_first not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _bind_first)
        connection.savdo_rls_bound = None


def _leave_all(**kwargs) -> None:
    for connection in connections.all(initialized_only=True):
        leave(connection.alias)


def _after_migrate(sender, using="default", **kwargs) -> None:
    if sender.label == "core":  # once per migrate, after every app's tables exist
        apply_policies(using)
