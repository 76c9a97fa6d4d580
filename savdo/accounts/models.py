"""Users: one account system (and one JWT system) behind every API surface."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: owner, manager, cashier or support agent of one or more tenants.

    Document mapping: 001 `username/email/first_name/last_name/phone`; 003 `name` is the full name
    and `role` the role in the current tenant; 004 signs in with `username`.
    """

    email = models.EmailField(_("email address"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_uniq",
                condition=~models.Q(email=""),
                violation_error_message=_("A user with this email already exists."),
            )
        ]

    @property
    def name(self) -> str:
        return self.get_full_name() or self.username


class RevokedAccessToken(models.Model):
    """An access token refused before it expires (signed out). Rows past `expires_at` can go."""

    jti = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.jti
