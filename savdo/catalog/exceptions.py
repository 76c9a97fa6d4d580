"""The refusal every point-of-sale package raises when a business rule says no.

Catalog sits at the bottom of the point-of-sale stack (sales -> inventory -> catalog), so inventory
and sales raise this one class (or a subclass) too. It renders on the retail surface as
`{"status": "error", "message": ...}` with 400: the request was well formed, the rule refused it.
Errors tied to one request field are Django/DRF `ValidationError`s keyed by that field instead.
"""

from rest_framework import status
from rest_framework.exceptions import APIException


class RuleViolation(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "rule_violation"
