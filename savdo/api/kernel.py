"""The kernel every API surface stands on: a tenant-aware viewset whose rows are scoped once and
whose writes go through declared domain services, with a change-log row for each.

A resource declares (see docs/architecture.md for a whole example)::

    class TariffViewSet(TelecomModelViewSet):          # the surface's conventions + this kernel
        model = Tariff
        selector = selectors.tariff_list              # (tenant=, [membership=]) -> QuerySet
        serializer_class = serializers.TariffSerializer
        create_service = services.tariff_create       # (tenant=, [actor=], **validated_data)
        update_service = services.tariff_update       # (tariff=|instance=, [actor=], **validated_data)
        destroy_service = services.tariff_delete      # (tariff=|instance=, [actor=])
        action_roles = {"create": MANAGERS, ...}

and, only where it needs them: `actor_is_membership` (its services take the acting membership as
`actor`), `write_options()` (service keywords from the query string: `?detach_members=`) and
`written_response()` (an answer of another shape or status than DRF's: a task with its history, an
invitation's 202).

What the kernel guarantees:
- every queryset is the selector's answer narrowed to the request's tenant (`savdo.api.base.tenant_scoped`), so a
  resource that forgets its tenant still cannot read another store's rows; a model that is not
  tenant-owned must name the path to its tenant (`tenant_field = "contract__tenant"`);
- create, update and destroy call the declared services, never `serializer.save()`, inside one
  transaction that also writes the change log (`savdo.audit`; a service marked `@logs_itself`
  writes its own rows); commands use `self.recorded(obj, "x")`;
- the acting user is known to the change log for the whole request (`savdo.audit.context`).

Each surface adds only its conventions (errors, envelope, pagination, casing) as a mixin in its
`conventions.py`.
"""

import inspect
from collections.abc import Callable
from contextlib import contextmanager
from functools import cache
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from savdo.api.base import TenantScopedMixin
from savdo.audit.services import change_record, diff, snapshot


@cache
def _accepts(func: Callable, name: str) -> bool:
    """Whether `func` names the keyword `name` (a `**fields` catch-all does not count: it takes the
    model's fields, not the caller's identity)."""
    return name in inspect.signature(func).parameters


@cache
def _takes(func: Callable, name: str) -> bool:
    """Whether `func` takes the keyword `name`: by name or among its `**fields`."""
    parameters = inspect.signature(func).parameters.values()
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def call_service(func: Callable, /, *, actor=None, membership=None, tenant=None, **kwargs) -> Any:
    """Call a domain service, passing `actor` (the user) and `membership` only if it names them, and
    `tenant` if it takes it (by name, or among the `**fields` of the row it creates): a service that
    finds the store through the acting membership does not take it."""
    if actor is not None and _accepts(func, "actor"):
        kwargs["actor"] = actor
    if membership is not None and _accepts(func, "membership"):
        kwargs["membership"] = membership
    if tenant is not None and _takes(func, "tenant"):
        kwargs["tenant"] = tenant
    return func(**kwargs)


class TenantViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """A viewset of one tenant-owned model: scoping, services and the change log (see the module)."""

    model: ClassVar[type[models.Model] | None] = None
    selector: ClassVar[Callable[..., models.QuerySet] | None] = None
    create_service: ClassVar[Callable | None] = None
    update_service: ClassVar[Callable | None] = None
    destroy_service: ClassVar[Callable | None] = None
    # The keyword a service takes the object by (`tariff=`); defaults to the model's name.
    instance_argument: ClassVar[str | None] = None
    # Whether the services take the acting membership (its user, role and store) as `actor`, as the
    # tasks and staff services do, instead of the user.
    actor_is_membership: ClassVar[bool] = False

    # --- reading -----------------------------------------------------------------------------
    def get_queryset(self):
        model = self._model()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no tenant
            return model._default_manager.none()
        tenant = self.request.tenant
        selector = type(self).selector
        if selector is not None:
            queryset = call_service(selector, membership=self.request.membership, tenant=tenant)
        elif self.queryset is not None:
            queryset = self.queryset.all()
        else:
            queryset = model._default_manager.all()
        return queryset  # narrowed to the tenant by TenantScopedMixin's wrapper of get_queryset

    def _model(self) -> type[models.Model]:
        if self.model is not None:
            return self.model
        if self.queryset is not None:
            return self.queryset.model
        raise ImproperlyConfigured(f"{type(self).__name__} declares no model")

    # --- writing -----------------------------------------------------------------------------
    def _instance_kwargs(self, instance) -> dict:
        name = self.instance_argument or self._model()._meta.model_name
        service = type(self).update_service or type(self).destroy_service
        if service is not None and not _accepts(service, name) and _accepts(service, "instance"):
            name = "instance"
        return {name: instance}

    def _service(self, name: str) -> Callable:
        service = getattr(type(self), name)
        if service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} declares no {name}")
        return service

    def write_options(self) -> dict:
        """Keywords the write's service takes besides the object and the body: options from the
        query string, say (`?detach_members=` of a customer group's destroy). None by default."""
        return {}

    def _call(self, service: Callable, **kwargs) -> Any:
        """`service` with who acts, `kwargs` and the write's options. The written object wins over
        the acting membership when both would be `membership=` (the staff resource's members)."""
        kwargs.update(self.write_options())
        membership = getattr(self.request, "membership", None)
        actors = {"actor": membership if self.actor_is_membership else self.request.user, "membership": membership}
        return call_service(service, **{name: value for name, value in actors.items() if name not in kwargs}, **kwargs)

    # The change-log row and the transaction come from TenantScopedMixin, which wraps every
    # perform_create/update/destroy (these and any a resource writes itself).
    def perform_create(self, serializer):
        service = self._service("create_service")
        serializer.instance = self._call(service, tenant=self.request.tenant, **serializer.validated_data)

    def perform_update(self, serializer):
        service = self._service("update_service")
        instance = serializer.instance
        updated = self._call(service, **{**self._instance_kwargs(instance), **serializer.validated_data})
        serializer.instance = updated if isinstance(updated, models.Model) else instance

    def perform_destroy(self, instance):
        self._call(self._service("destroy_service"), **self._instance_kwargs(instance))

    def written_response(self, serializer, *, created: bool) -> Response:
        """The answer to a create (201) or an update (200): the serializer's rendering of the
        written object, as DRF answers. A resource whose answer has another shape than its request
        (a task with its history) or another status (an invitation: 202) overrides this, not
        create/update."""
        data = serializer.data
        if not created:
            return Response(data)
        return Response(data, status=status.HTTP_201_CREATED, headers=self.get_success_headers(data))

    @contextmanager
    def recorded(self, instance: models.Model, action: str):
        """Run a command on `instance` inside one transaction and log it with the fields it changed::

            with self.recorded(contract, "suspend"):
                services.contract_suspend(contract=contract)

        The row is read again after the command, so F() updates are logged with their result. The
        block may add what the command made to the row: `log["task"] = [None, task.pk]` with
        `with self.recorded(template, "create_task") as log:`.
        """
        with transaction.atomic():
            before = snapshot(instance)
            added: dict[str, list] = {}
            yield added
            fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
            after = snapshot(fresh) if fresh is not None else None
            changes = {**diff(before, after), **added}
            change_record(instance=fresh or instance, action=action, changes=changes)


class CreateModelMixin(mixins.CreateModelMixin):
    """DRF's create, answering with the view's `written_response`."""

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.written_response(serializer, created=True)


class UpdateModelMixin(mixins.UpdateModelMixin):
    """DRF's update and partial update, answering with the view's `written_response`."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        if getattr(instance, "_prefetched_objects_cache", None):
            instance._prefetched_objects_cache = {}  # as DRF: a prefetch made before the write is stale
        return self.written_response(serializer, created=False)


# The kernel's class comes first: its perform_create/update/destroy (services + change log) win over
# DRF's mixins, whose versions would call `serializer.save()`. A viewset with only some of these
# actions lists the same way: `class X(RetailViewSet, mixins.ListModelMixin, CreateModelMixin)`.
class TenantModelViewSet(
    TenantViewSet,
    CreateModelMixin,
    mixins.RetrieveModelMixin,
    UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
):
    """CRUD on a tenant-owned model through its services; a surface mixes in its conventions."""


class TenantReadOnlyViewSet(TenantViewSet, mixins.RetrieveModelMixin, mixins.ListModelMixin):
    """List and retrieve only (commands may be added as actions)."""
