"""The change log: one row per write through a service (who, when, which store, which object, the
fields before and after). Rows are written in the same transaction as the change and never edited."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class ChangeLogEntry(TenantOwned):
    """A write to one object of a store.

    `action` is create, update, delete, or the name of a command (`activate`, `add_balance`,
    `manual_statistics`, ...). `changes` maps each changed field to `[before, after]` (JSON values:
    decimals as strings, dates ISO 8601, relations as ids); a create has `before` null, a delete has
    `after` null.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # the log outlives users; a dangling id still says who it was
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.BigIntegerField(_("object id"), null=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True, default="")
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="changelog_tenant_created_idx"),
            models.Index(fields=["tenant", "object_type", "object_id"], name="changelog_tenant_object_idx"),
            models.Index(fields=["tenant", "actor", "-created_at"], name="changelog_tenant_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Change log entries are never edited.")
        super().save(*args, **kwargs)
