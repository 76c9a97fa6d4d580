"""`/api/changelog/`: a store's change log for its owners and administrators (read-only).

Filters: `object_type` (`customers.customer`, `telecom.contract`, ...), `object_id`, `user`,
`action`, `date_from` / `date_to` (the store's local dates, inclusive). DRF shapes, as the retail and
telecom surfaces.
"""

from django_filters import rest_framework as filters
from rest_framework import serializers

from savdo.api.base import OptionalSlashRouter
from savdo.api.errors import drf_style_body, make_exception_handler
from savdo.api.filters import related_id_filter
from savdo.api.kernel import TenantReadOnlyViewSet
from savdo.api.retail.conventions import RetailPagination
from savdo.audit import selectors
from savdo.audit.models import ChangeLogEntry
from savdo.tenancy.roles import ADMINS

exception_handler = make_exception_handler(drf_style_body)


class ChangeLogEntrySerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)
    user_name = serializers.SerializerMethodField()

    class Meta:
        model = ChangeLogEntry
        fields = [
            "id",
            "created_at",
            "user",
            "user_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields

    def get_user_name(self, entry) -> str | None:
        actor = entry.actor
        if actor is None:
            return None
        return actor.get_full_name() or actor.get_username()


class ChangeLogFilter(filters.FilterSet):
    object_type = filters.CharFilter(field_name="object_type")
    object_id = filters.NumberFilter(field_name="object_id")
    user = related_id_filter("actor")
    action = filters.CharFilter(field_name="action")
    date_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = ChangeLogEntry
        fields = ["object_type", "object_id", "user", "action", "date_from", "date_to"]


class ChangeLogViewSet(TenantReadOnlyViewSet):
    """Who changed what, when: every write made through the services, newest first."""

    model = ChangeLogEntry
    selector = selectors.change_log
    serializer_class = ChangeLogEntrySerializer
    filterset_class = ChangeLogFilter
    filter_backends = [filters.DjangoFilterBackend]
    pagination_class = RetailPagination
    default_roles = ADMINS

    def get_exception_handler(self):
        return exception_handler


router = OptionalSlashRouter()
router.register("api/changelog", ChangeLogViewSet, basename="changelog")
urlpatterns = router.urls
