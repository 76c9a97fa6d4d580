"""The refusal every telecom service raises when a business rule says no.

It renders on the telecom surface as `{"status": "error", "message": ...}` with 400: the request was
well formed, the rule (a state transition, the balance rule, a row in use) refused it. Errors tied to
one request field are Django `ValidationError`s keyed by that field instead.
"""

from rest_framework import status
from rest_framework.exceptions import APIException


class RuleViolation(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "rule_violation"
