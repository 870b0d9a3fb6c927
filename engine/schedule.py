"""Due-time arithmetic: a delay is an amount and a unit, counted from a base.

The base is the trigger's moment (enrollment, parent done, event) or a date of
the record, before or after it.

>>> from datetime import datetime
>>> base = datetime(2026, 1, 31, 9, 0)
>>> add_delay(base, 2, "days")
datetime.datetime(2026, 2, 2, 9, 0)
>>> add_delay(base, 1, "months")  # months keep the calendar, not 30 days
datetime.datetime(2026, 2, 28, 9, 0)
>>> add_delay(base, 5, "minutes", before=True)
datetime.datetime(2026, 1, 31, 8, 55)
>>> add_delay(base, 0, "hours")
datetime.datetime(2026, 1, 31, 9, 0)
>>> add_delay(None, 3, "days") is None
True

Working days are the days a send window opens on (``engine/windows.py``), in
a time zone: Monday to Friday by default. Friday 17:00 in Madrid plus two
working days is Tuesday 17:00, and a holiday on the Monday makes it Wednesday:

>>> from datetime import date
>>> from . import windows
>>> friday = datetime(2026, 3, 6, 16, 0)
>>> add_delay(friday, 2, WORKING_DAYS, calendar=(OFFICE_DAYS, "Europe/Madrid"))
datetime.datetime(2026, 3, 10, 16, 0)
>>> office = windows.weekly(range(5), 9, 18)
>>> holiday = office._replace(closed=frozenset({date(2026, 3, 9)}))
>>> add_delay(friday, 2, WORKING_DAYS, calendar=(holiday, "Europe/Madrid"))
datetime.datetime(2026, 3, 11, 16, 0)
>>> add_delay(friday, 2, WORKING_DAYS)  # Monday to Friday, UTC
datetime.datetime(2026, 3, 10, 16, 0)
>>> as_datetime(datetime(2026, 3, 1).date())
datetime.datetime(2026, 3, 1, 0, 0)

Delays and expiries are bounded (10 years in any unit), so that every due time
stays a date Python and PostgreSQL can hold:

>>> MAX_DELAYS["months"], MAX_DELAYS["minutes"]
(120, 5256000)
>>> too_long(1_200_000, "months"), too_long(120, "months")
(True, False)
"""

from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from . import windows

WORKING_DAYS = "working_days"
DELAY_UNITS = ("minutes", "hours", "days", "weeks", "months", WORKING_DAYS)
# The working days of a delay without a send window.
OFFICE_DAYS = windows.weekly(range(5), 0, 24)
MAX_DELAY_YEARS = 10
# The longest delay or expiry in each unit: MAX_DELAY_YEARS years of 365 days.
MAX_DELAYS = {
    "minutes": MAX_DELAY_YEARS * 365 * 24 * 60,
    "hours": MAX_DELAY_YEARS * 365 * 24,
    "days": MAX_DELAY_YEARS * 365,
    "weeks": MAX_DELAY_YEARS * 365 // 7,
    "months": MAX_DELAY_YEARS * 12,
    WORKING_DAYS: MAX_DELAY_YEARS * 365 * 5 // 7,
}


def add_delay(base, amount, unit, before=False, calendar=None):
    """Return ``base`` moved by ``amount`` ``unit`` (backwards if ``before``).

    ``None`` stays ``None``: a record without the date has no due time.

    :param calendar: for working days, ``(windows.Window, IANA zone)``
        whose open days count (Monday to Friday in UTC by default); working
        days count forwards only
    """
    if base is None or base is False:
        return None
    if unit not in DELAY_UNITS:
        raise ValueError(f"Unknown delay unit {unit!r}")
    if unit == WORKING_DAYS:
        if before:
            raise ValueError("Working days count forwards only")
        window, zone = calendar or (OFFICE_DAYS, "UTC")
        return windows.add_working_days(window, as_datetime(base), amount or 0, zone)
    delta = relativedelta(**{unit: amount or 0})
    return as_datetime(base) - delta if before else as_datetime(base) + delta


def too_long(amount, unit):
    """Whether ``amount`` ``unit`` is longer than a delay may be."""
    return (amount or 0) > MAX_DELAYS[unit]


def as_datetime(value):
    """Dates of records count from midnight (UTC, as Odoo stores datetimes)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(f"Not a date: {value!r}")
