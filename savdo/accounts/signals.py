"""Signals the accounts package sends for others to react to (it imports none of them)."""

from django.dispatch import Signal

# Sent with `user` when one of the user's access tokens is refused before it expires (sign-out).
access_token_revoked = Signal()
