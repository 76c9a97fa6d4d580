"""Which tenant a request acts for: the user's membership, chosen by `X-Tenant-Key` if given."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from savdo.tenancy.models import Membership

TENANT_HEADER = "HTTP_X_TENANT_KEY"


def resolve_membership(user, tenant_key: str | None) -> Membership:
    """The active membership the request acts through.

    With a key: the membership in that tenant, or 403 (an unknown key and a key of a tenant the
    user is not in are the same answer). Without: the user's oldest active membership.
    """
    memberships = (
        Membership.objects.select_related("tenant")
        .filter(user=user, is_active=True, tenant__is_active=True)
        .order_by("created_at", "id")
    )
    if tenant_key:
        membership = memberships.filter(tenant__key=tenant_key.strip()).first()
        if membership is None:
            raise PermissionDenied(_("You are not a member of this store."))
        return membership
    membership = memberships.first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of any store."))
    return membership
