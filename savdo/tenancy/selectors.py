"""Reads of the staff API: a store's invitations, and a user's."""

from django.db.models import QuerySet

from savdo.tenancy.models import Invitation, Membership, Tenant


def membership_list_of_tenant(*, tenant: Tenant) -> QuerySet[Membership]:
    """The tenant's staff (active or not) with their users."""
    return Membership.objects.filter(tenant=tenant).select_related("user", "tenant")


def invitation_list_of_tenant(*, tenant: Tenant) -> QuerySet[Invitation]:
    """The invitations a store made, newest first (what it typed, never who it named)."""
    return Invitation.objects.filter(tenant=tenant).select_related("invited_by").order_by("-created_at", "-id")


def invitation_list_of_user(*, user) -> QuerySet[Invitation]:
    """The invitations addressed to `user`, newest first, with their stores and who invited them."""
    return Invitation.objects.filter(user=user).select_related("tenant", "invited_by").order_by("-created_at", "-id")
