"""A test-only URLconf: the real routes plus one plain CRUD resource built on the kernel, the way a
surface adds one (model, selector, serializer, services, registration)."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response

from savdo.api.base import OptionalSlashRouter
from savdo.api.fields import TenantPrimaryKeyRelatedField
from savdo.api.filters import related_id_filter
from savdo.api.kernel import TenantModelViewSet
from savdo.api.retail.conventions import RetailErrorsMixin, RetailPagination
from savdo.audit.services import change_record, logs_itself
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


@logs_itself
def tag_create_logging_itself(*, tenant, name: str, color: str | None = None) -> Tag:
    """A service that logs its own write, with its own action name and fields."""
    tag = services.tag_create(tenant=tenant, name=name, color=color)
    change_record(instance=tag, action="create", changes={"name": [None, tag.name]})
    return tag


def tag_recolour(*, tag: Tag, to: str = "#9E9E9E") -> None:
    """The test resource's destroy: the tag goes grey, or `?to=` another colour."""
    Tag.objects.filter(pk=tag.pk).update(color=to)


class HookedTagViewSet(RetailErrorsMixin, TenantModelViewSet):
    """The kernel's hooks: a create service that logs itself, an answer of another status and
    shape, a destroy that takes an option from the query string."""

    model = Tag
    selector = tag_list
    serializer_class = TagSerializer
    create_service = tag_create_logging_itself
    destroy_service = tag_recolour

    def write_options(self) -> dict:
        return {"to": self.request.query_params["to"]} if "to" in self.request.query_params else {}

    def written_response(self, serializer, *, created: bool) -> Response:
        return Response({"accepted": serializer.instance.name}, status=202)


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
router.register("api/_kernel/hooked-tags", HookedTagViewSet, basename="kernel-hooked-tags")
router.register("api/_kernel/unscoped-tags", UnscopedTagViewSet, basename="kernel-unscoped-tags")

urlpatterns = [*router.urls, path("", include("savdo.urls"))]

__all__ = ["related_id_filter", "urlpatterns"]
