"""Work that leaves the request: registering a webhook with a provider and sending replies.

Both are started after the commit of the write that asked for them (`transaction.on_commit`) and
run, depending on `settings.SAVDO_MESSAGING_BACKGROUND`:

- `"thread"` (default): in a daemon thread of the serving process, so the request answers without
  waiting for the provider (retries sleep there between attempts);
- `"inline"`: right away in the committing thread (tests, benchmarks, scripts);
- `"off"`: not at all; the scheduled command `savdo deliver-messages` sends what is due.

Whatever the mode, `savdo deliver-messages` picks up every queued message whose next attempt is
due (a process that died with messages in flight, a channel that was down): run it every minute
from the platform's scheduler. Claims are rows (`Message.next_attempt_at` pushed forward in one
UPDATE), so any number of processes may run it at once.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger("savdo.messaging")


def background_mode() -> str:
    return getattr(settings, "SAVDO_MESSAGING_BACKGROUND", "thread")


def run_in_background(func: Callable, *args) -> None:
    mode = background_mode()
    if mode == "inline":
        func(*args)
    elif mode == "thread":
        threading.Thread(target=_thread_main, args=(func, *args), daemon=True, name="savdo-messaging").start()


def _thread_main(func: Callable, *args) -> None:
    try:
        func(*args)
    except Exception:  # a background failure must not vanish silently
        logger.exception("messaging background job failed")
    finally:
        connection.close()  # this thread's own connection


def deliver_with_retries(message_id: int) -> None:
    """Send one message, and in "thread" mode keep retrying in this thread until it is sent or has
    failed for good (the scheduled command covers a process that dies meanwhile)."""
    from savdo.messaging.delivery import message_deliver

    while True:
        outcome = message_deliver(message_id=message_id)
        if outcome is None or outcome.next_attempt_at is None or background_mode() != "thread":
            return
        time.sleep(max(0.0, (outcome.next_attempt_at - timezone.now()).total_seconds()))


def deliver_due_messages(*, limit: int = 500, now=None) -> dict[str, int]:
    """Attempt every queued message whose next attempt is due (the scheduled command's body)."""
    from savdo.messaging.delivery import due_message_ids, message_deliver

    counts = {"attempted": 0, "sent": 0, "failed": 0, "retry": 0}
    for message_id in due_message_ids(limit=limit, now=now):
        outcome = message_deliver(message_id=message_id, now=now)
        if outcome is None:
            continue
        counts["attempted"] += 1
        counts[outcome.result] += 1
    return counts
