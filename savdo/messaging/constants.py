"""Numbers the messaging package runs by (overridable through settings where a deployment may
need another value)."""

from datetime import timedelta

# Outbound delivery: attempt n (1-based) failing with a retryable error waits RETRY_DELAYS[n - 1]
# before attempt n + 1; after MAX_ATTEMPTS the message is `failed`.
RETRY_DELAYS = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# While one worker sends a message, no other may: the claim pushes its next attempt this far out.
# Longer than an HTTP call may take, so a live sender always records its outcome first.
SEND_LEASE = timedelta(minutes=2)
HTTP_TIMEOUT_SECONDS = 15

# Providers' own limits on one text message.
MAX_TEXT_LENGTH = 4096

# Names and other strings taken from payloads are cut to the columns they go into.
MAX_NAME_LENGTH = 255

# Provider API bases (tests point them at a local receiver; settings may too).
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_WHATSAPP_CLOUD_API_URL = "https://graph.facebook.com/v21.0"
