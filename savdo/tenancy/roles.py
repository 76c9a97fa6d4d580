"""Role sets that surfaces declare per action."""

from savdo.tenancy.models import Role

ALL_ROLES = frozenset(Role.values)
OWNERS = frozenset({Role.OWNER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
MANAGERS = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
STORE_STAFF = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.CASHIER})
SUPPORT_STAFF = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.AGENT})


def is_manager(role: str) -> bool:
    return role in MANAGERS
