"""Role-based permission: a view declares which roles may run each action."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from savdo.tenancy.roles import ALL_ROLES


class HasTenantRole(BasePermission):
    """Allows the request when the member's role is in the view's roles for this action.

    Views declare `action_roles = {"destroy": MANAGERS, ...}` and `default_roles` (all roles
    unless set). The tenant itself is resolved by the surface's base view before this runs.
    """

    # Lazy: DRF renders it when it refuses, in the request's language (not the one active at import).
    message = _("Your role does not allow this action.")

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        action = getattr(view, "action", None) or request.method.lower()
        roles = getattr(view, "action_roles", {}).get(action, getattr(view, "default_roles", ALL_ROLES))
        return membership.role in roles
