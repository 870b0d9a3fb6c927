"""Send windows: when a flow may contact a person, in that person's zone.

How to use
==========

A ``Window`` is the weekly opening hours (local wall time, Monday = 0) and
the local dates it is closed on (public holidays, pause dates). Build it from
the simple setting (``weekly``) or from a working calendar's attendances
(``from_attendances``, the calendar's leaves turned into dates by
``leave_dates``); then ask, for a UTC moment and an IANA zone, when it next
opens (``next_opening``) or what date a delay in working days ends on
(``add_working_days``). Datetimes in and out are naive UTC, as Odoo stores
them; the zone only says how the window reads the clock.

>>> from datetime import datetime, date
>>> office = weekly(range(5), 9, 18)  # Monday to Friday, 09:00-18:00

A task due Saturday 23:00 in Madrid (22:00 UTC) goes Monday 09:00 (08:00 UTC):

>>> next_opening(office, datetime(2026, 3, 7, 22, 0), "Europe/Madrid")
datetime.datetime(2026, 3, 9, 8, 0)

The same moment is Saturday 17:00 in New York, which opens Monday 09:00 New
York time (13:00 UTC: the United States moved their clocks on 8 March):

>>> next_opening(office, datetime(2026, 3, 7, 22, 0), "America/New_York")
datetime.datetime(2026, 3, 9, 13, 0)

Inside the window, the moment itself; a holiday is skipped:

>>> next_opening(office, datetime(2026, 3, 9, 10, 0), "Europe/Madrid")
datetime.datetime(2026, 3, 9, 10, 0)
>>> next_opening(office._replace(closed=frozenset({date(2026, 3, 9)})),
...              datetime(2026, 3, 7, 22, 0), "Europe/Madrid")
datetime.datetime(2026, 3, 10, 8, 0)

How it works
============

Openings and closings are computed as local wall times of each date and
converted to UTC through the zone, so changes of daylight saving time fall
where they should. A window 09:00-18:00 every day in Madrid, on the last
Sundays of March (clocks go forward: 09:00 is 07:00 UTC) and of October 2026
(clocks go back: 09:00 is 08:00 UTC):

>>> daily = weekly(range(7), 9, 18)
>>> next_opening(daily, datetime(2026, 3, 28, 20, 0), "Europe/Madrid")
datetime.datetime(2026, 3, 29, 7, 0)
>>> next_opening(daily, datetime(2026, 3, 29, 16, 30), "Europe/Madrid")  # 18:30
datetime.datetime(2026, 3, 30, 7, 0)
>>> next_opening(daily, datetime(2026, 10, 25, 1, 30), "Europe/Madrid")
datetime.datetime(2026, 10, 25, 8, 0)
>>> next_opening(daily, datetime(2026, 10, 25, 16, 30), "Europe/Madrid")  # 17:30
datetime.datetime(2026, 10, 25, 16, 30)

Delays in working days count the days the window opens on, holidays left
out, and keep the wall time: Friday 10:00 + 1 working day is Monday 10:00,
across a change of time too:

>>> add_working_days(office, datetime(2026, 3, 27, 9, 0), 1, "Europe/Madrid")
datetime.datetime(2026, 3, 30, 8, 0)
>>> add_working_days(office, datetime(2026, 3, 27, 9, 0), 0, "Europe/Madrid")
datetime.datetime(2026, 3, 27, 9, 0)

A working calendar gives its hours per day (lunch breaks are gaps) and its
leaves, read in the calendar's zone, close whole dates:

>>> calendar = from_attendances([(0, 8, 12), (0, 13, 17)], frozenset())
>>> next_opening(calendar, datetime(2026, 3, 9, 12, 30), "UTC")  # lunch
datetime.datetime(2026, 3, 9, 13, 0)
>>> christmas = (datetime(2026, 12, 24, 23, 0), datetime(2026, 12, 25, 22, 59, 59))
>>> sorted(leave_dates([christmas], "Europe/Madrid"))
[datetime.date(2026, 12, 25)]

Pause dates (from and to included) hold a flow until the day after them;
pauses that follow each other hold until the last one ends:

>>> new_year = date(2027, 1, 1)
>>> pauses = [(date(2026, 12, 24), date(2026, 12, 31)), (new_year, new_year)]
>>> pause_release(pauses, datetime(2026, 12, 28, 10, 0), "Europe/Madrid")
datetime.datetime(2027, 1, 1, 23, 0)
>>> pause_release(pauses, datetime(2026, 12, 23, 10, 0), "Europe/Madrid") is None
True

A window that never opens has no next opening (the models refuse it):

>>> next_opening(weekly([], 9, 18), datetime(2026, 3, 9), "UTC") is None
True
>>> zone_name("Mars/Olympus_Mons", "Europe/Madrid"), zone_name(False, "UTC")
('Europe/Madrid', 'UTC')
"""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
# How far to look for an opening: a year and a week covers any weekly window
# whatever holidays close it, without looping forever on one never open.
HORIZON_DAYS = 372


class Window(NamedTuple):
    """``hours``: for each weekday (Monday = 0), the sorted, disjoint
    ``(from, to)`` minutes of the day it is open; ``closed``: local dates
    it does not open at all."""

    hours: tuple
    closed: frozenset = frozenset()


def weekly(weekdays, hour_from, hour_to):
    """The window open on ``weekdays`` from ``hour_from`` to ``hour_to``
    (hours as floats, 9.5 = 09:30, 24 = midnight at the end of the day)."""
    span = ((_minutes(hour_from), _minutes(hour_to)),)
    days = set(weekdays)
    return Window(tuple(span if day in days else () for day in range(7)))


def from_attendances(attendances, closed):
    """The window of a working calendar: ``attendances`` are
    ``(weekday, hour_from, hour_to)``, ``closed`` its holiday dates."""
    hours = [[] for _day in range(7)]
    for weekday, hour_from, hour_to in attendances:
        if hour_to > hour_from:
            hours[int(weekday)].append((_minutes(hour_from), _minutes(hour_to)))
    return Window(tuple(_merge(spans) for spans in hours), frozenset(closed))


def leave_dates(leaves, zone):
    """The local dates ``leaves`` (``(from, to)`` naive UTC) touch in
    ``zone``: a leave closes the whole day, wherever the window is read."""
    dates = set()
    for start, stop in leaves:
        day = _local(start, zone).date()
        last = _local(stop - timedelta(seconds=1), zone).date()
        while day <= last:
            dates.add(day)
            day += timedelta(days=1)
    return dates


def next_opening(window, at, zone):
    """The first moment at or after ``at`` the window is open, in ``zone``
    (naive UTC in and out); ``None`` if it does not open within a year."""
    day = _local(at, zone).date()
    for _offset in range(HORIZON_DAYS):
        if day not in window.closed:
            for start, stop in window.hours[day.weekday()]:
                if _utc(day, stop, zone) > at:
                    return max(at, _utc(day, start, zone))
        day += timedelta(days=1)
    return None


def add_working_days(window, base, days, zone):
    """``base`` moved by ``days`` days the window opens on (its weekdays,
    holidays left out), at the same local wall time."""
    if not days:
        return base
    local = _local(base, zone)
    day, left = local.date(), days
    for _offset in range(HORIZON_DAYS * (days // 200 + 1)):
        day += timedelta(days=1)
        if window.hours[day.weekday()] and day not in window.closed:
            left -= 1
            if not left:
                minutes = local.hour * 60 + local.minute
                return _utc(day, minutes, zone) + timedelta(
                    seconds=local.second, microseconds=local.microsecond
                )
    return None


def pause_release(pauses, at, zone):
    """When pauses (``(from, to)`` local dates, both included) let a task
    due at ``at`` go: the local midnight after the pause holding it, as naive
    UTC, or ``None`` when no pause holds it."""
    day = released = _local(at, zone).date()
    moved = True
    while moved:
        moved = False
        for start, stop in pauses:
            if start <= released <= stop:
                released, moved = stop + timedelta(days=1), True
    return None if released == day else _utc(released, 0, zone)


def zone_name(name, default):
    """``name`` if it is a known IANA zone, else ``default``."""
    if not name:
        return default
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return name


@lru_cache(maxsize=1024)
def _zone(name):
    return ZoneInfo(name)


def _minutes(hour):
    return max(0, min(MINUTES_PER_DAY, round(float(hour) * 60)))


def _merge(spans):
    merged = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]))
        else:
            merged.append((start, stop))
    return tuple(merged)


def _local(at, zone):
    return at.replace(tzinfo=UTC).astimezone(_zone(zone))


def _utc(day, minutes, zone):
    """The UTC moment of the local wall time ``minutes`` after midnight of
    ``day`` (a time skipped by a change of clocks is read as the instant
    after the change)."""
    local = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return local.replace(tzinfo=_zone(zone)).astimezone(UTC).replace(tzinfo=None)
