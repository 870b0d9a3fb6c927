"""Retry delays: how long to wait before the next attempt of a task.

A *pattern* maps an attempt number to seconds, or to a ``(min, max)`` range
from which a random delay is drawn so that many tasks failing together do not
all retry at the same second. The entry with the highest attempt number not
above the current attempt applies.

>>> pattern = {1: 60, 3: 600, 5: (3600, 3600)}
>>> [retry_seconds(pattern, attempt) for attempt in (1, 2, 3, 4, 5, 9)]
[60, 60, 600, 600, 3600, 3600]
>>> 10 <= retry_seconds({1: (10, 20)}, 1) <= 20
True
>>> retry_seconds({}, 1)
60
"""

import random

DEFAULT_SECONDS = 60
DEFAULT_PATTERN = {1: 60, 3: 600, 5: 3600}


def retry_seconds(pattern, attempt):
    """Seconds to wait before attempt ``attempt + 1``."""
    applicable = [key for key in pattern if key <= attempt]
    if not applicable:
        return DEFAULT_SECONDS
    delay = pattern[max(applicable)]
    if isinstance(delay, tuple | list):
        return random.randint(*delay)
    return delay
