"""Refusals of the support services that are not about one request field."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class TicketTransitionRefused(APIException):
    """An action the transition table does not allow from the ticket's current status (400, the
    message names that status). Nothing was changed."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_transition"
    default_detail = _("This action is not allowed in the ticket's current status.")
