"""Contact pressure: at most so many marketing messages per person per day and
per week, across every flow of a company.

How to use
==========

For a batch of due messages, the scheduler reads how many messages each
address already got since the start of the day and of the week, in the
company's time zone (``period_starts``), then hands the batch's requests to
``allocate`` in the order they should go (higher flow priority first): each
one within the caps counts at once for the next ones, the others are
returned with the cap they hit. Datetimes are naive UTC, as Odoo stores them.

Days and weeks are those of the calendar in the company's zone (a week starts
on Monday), so that "3 per week" reads as a person counts:

>>> from datetime import datetime
>>> period_starts(datetime(2026, 3, 4, 10, 0), "Europe/Madrid")  # Wednesday
(datetime.datetime(2026, 3, 3, 23, 0), datetime.datetime(2026, 3, 1, 23, 0))

Two messages due for ann@ (one a day), one for bob@, who got 2 this week
(two a week at most): the first of ann@ goes, the second is over the day's
cap, bob@ is over the week's.

>>> counts = {"bob@x.com": (0, 2)}
>>> requests = [(1, "ann@x.com"), (2, "ann@x.com"), (3, "bob@x.com")]
>>> allocate(requests, counts, day_cap=1, week_cap=2)
{2: 'day', 3: 'week'}
>>> counts["ann@x.com"]
(1, 1)

A cap of 0 is no cap:

>>> allocate([(4, "bob@x.com")], counts, day_cap=0, week_cap=0)
{}

How it works
============

A message over the day's cap waits for the next day, over the week's cap for
the next Monday, at the same time of day in the company's zone (the send
window, if any, then holds it to its opening). Across a change of clocks the
wall time is kept:

>>> deferred_until(datetime(2026, 3, 28, 10, 0), DAY, "Europe/Madrid")
datetime.datetime(2026, 3, 29, 9, 0)
>>> deferred_until(datetime(2026, 3, 4, 10, 0), WEEK, "Europe/Madrid")
datetime.datetime(2026, 3, 9, 10, 0)
"""

from datetime import UTC, datetime, timedelta

from .windows import _zone

DAY = "day"
WEEK = "week"


def period_starts(now, zone):
    """``(start of today, start of this week)`` at ``now`` in ``zone``, as
    naive UTC datetimes (a week starts on Monday)."""
    today = _local(now, zone).date()
    monday = today - timedelta(days=today.weekday())
    return _midnight(today, zone), _midnight(monday, zone)


def allocate(requests, counts, day_cap, week_cap):
    """Let the requests within the caps go, in their order.

    :param requests: ``(key, address)`` in the order they should go
    :param counts: ``{address: (messages today, messages this week)}``,
        updated with the requests that go
    :param day_cap: at most this many messages per address per day (0: none)
    :param week_cap: at most this many per address per week (0: none)
    :return: ``{key: DAY or WEEK}`` of the requests over a cap
    """
    over = {}
    for key, address in requests:
        day, week = counts.get(address, (0, 0))
        if week_cap and week >= week_cap:
            over[key] = WEEK
        elif day_cap and day >= day_cap:
            over[key] = DAY
        else:
            counts[address] = (day + 1, week + 1)
    return over


def deferred_until(at, cap, zone):
    """When a message due ``at`` that hit ``cap`` (``DAY`` or ``WEEK``) may
    go: the next day, or the next Monday, at the same wall time in ``zone``."""
    local = _local(at, zone)
    days = 1 if cap == DAY else 7 - local.weekday()
    wall = local.replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=_zone(zone)).astimezone(UTC).replace(tzinfo=None)


def _local(at, zone):
    return at.replace(tzinfo=UTC).astimezone(_zone(zone))


def _midnight(day, zone):
    local = datetime(day.year, day.month, day.day, tzinfo=_zone(zone))
    return local.astimezone(UTC).replace(tzinfo=None)
