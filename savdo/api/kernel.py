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

What the kernel guarantees:
- every queryset is the selector's answer narrowed to the request's tenant (`savdo.api.base.tenant_scoped`), so a
  resource that forgets its tenant still cannot read another store's rows; a model that is not
  tenant-owned must name the path to its tenant (`tenant_field = "contract__tenant"`);
- create, update and destroy call the declared services, never `serializer.save()`, inside one
  transaction that also writes the change log (`savdo.audit`); commands use `self.recorded(obj, "x")`;
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
from rest_framework import mixins, viewsets

from savdo.api.base import TenantScopedMixin
from savdo.audit.services import change_record, snapshot


@cache
def _accepts(func: Callable, name: str) -> bool:
    """Whether `func` names the keyword `name` (a `**fields` catch-all does not count: it takes the
    model's fields, not the caller's identity)."""
    return name in inspect.signature(func).parameters


def call_service(func: Callable, /, *, actor=None, membership=None, **kwargs) -> Any:
    """Call a domain service, passing `actor` (the user) and `membership` only if it names them."""
    if actor is not None and _accepts(func, "actor"):
        kwargs["actor"] = actor
    if membership is not None and _accepts(func, "membership"):
        kwargs["membership"] = membership
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

    def _actors(self) -> dict:
        return {"actor": self.request.user, "membership": getattr(self.request, "membership", None)}

    # The change-log row and the transaction come from TenantScopedMixin, which wraps every
    # perform_create/update/destroy (these and any a resource writes itself).
    def perform_create(self, serializer):
        service = self._service("create_service")
        serializer.instance = call_service(
            service, tenant=self.request.tenant, **self._actors(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        service = self._service("update_service")
        instance = serializer.instance
        kwargs = {**self._instance_kwargs(instance), **serializer.validated_data}
        updated = call_service(service, **self._actors(), **kwargs)
        serializer.instance = updated if isinstance(updated, models.Model) else instance

    def perform_destroy(self, instance):
        service = self._service("destroy_service")
        call_service(service, **self._actors(), **self._instance_kwargs(instance))

    @contextmanager
    def recorded(self, instance: models.Model, action: str):
        """Run a command on `instance` inside one transaction and log it with the fields it changed::

            with self.recorded(contract, "suspend"):
                services.contract_suspend(contract=contract)

        The row is read again after the command, so F() updates are logged with their result.
        """
        with transaction.atomic():
            before = snapshot(instance)
            yield
            fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
            after = snapshot(fresh) if fresh is not None else None
            change_record(instance=fresh or instance, action=action, before=before, after=after)


# The kernel's class comes first: its perform_create/update/destroy (services + change log) win over
# DRF's mixins, whose versions would call `serializer.save()`.
class TenantModelViewSet(
    TenantViewSet,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
):
    """CRUD on a tenant-owned model through its services; a surface mixes in its conventions."""


class TenantReadOnlyViewSet(TenantViewSet, mixins.RetrieveModelMixin, mixins.ListModelMixin):
    """List and retrieve only (commands may be added as actions)."""
