"""A test-only URLconf: the real routes plus one plain CRUD resource built on the kernel, the way a
surface adds one (model, selector, serializer, services, registration)."""

from django.urls import include, path
from rest_framework import serializers

from savdo.api.base import OptionalSlashRouter
from savdo.api.fields import TenantPrimaryKeyRelatedField
from savdo.api.filters import related_id_filter
from savdo.api.kernel import TenantModelViewSet
from savdo.api.retail.conventions import RetailErrorsMixin, RetailPagination
from savdo.customers import services
from savdo.customers.models import Customer, Tag
from savdo.tenancy.roles import MANAGERS


def tag_list(*, tenant):
    return Tag.objects.for_tenant(tenant).order_by("id")


def tag_delete(*, tag: Tag) -> None:
    tag.delete()


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color"]


class CustomerNoteSerializer(serializers.Serializer):
    customer = TenantPrimaryKeyRelatedField(Customer)


class TagViewSet(RetailErrorsMixin, TenantModelViewSet):
    model = Tag
    selector = tag_list
    serializer_class = TagSerializer
    pagination_class = RetailPagination
    create_service = services.tag_create
    update_service = services.tag_update
    destroy_service = tag_delete
    action_roles = {"destroy": MANAGERS}


class UnscopedTagViewSet(RetailErrorsMixin, TenantModelViewSet):
    """A resource whose selector forgets its tenant: the kernel scopes it anyway."""

    model = Tag
    selector = staticmethod(lambda **kwargs: Tag.objects.all())
    serializer_class = TagSerializer
    filterset_fields = {}

    def get_queryset(self):
        return super().get_queryset()


class CustomerByIdViewSet(RetailErrorsMixin, TenantModelViewSet):
    model = Customer
    serializer_class = TagSerializer
    http_method_names = ["get"]

    def get_serializer_class(self):
        return CustomerNoteSerializer


router = OptionalSlashRouter()
router.register("api/_kernel/tags", TagViewSet, basename="kernel-tags")
router.register("api/_kernel/unscoped-tags", UnscopedTagViewSet, basename="kernel-unscoped-tags")

urlpatterns = [*router.urls, path("", include("savdo.urls"))]

__all__ = ["related_id_filter", "urlpatterns"]
