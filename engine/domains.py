"""Domains evaluated on the server as the web client evaluates them.

How to use
==========

The models evaluate every domain a user writes (flow, saved filter, step) with
the same names Odoo's domain editor and filters use, then check the result
against the model::

    context = domains.eval_context(today, tz, uid=env.uid, user=env.user)
    domain = domains.evaluate(text, context)

A domain that cannot be evaluated raises :class:`DomainError`, whose ``code``
says why (``SYNTAX``, ``UNKNOWN_NAME``, ``NOT_A_LIST``, ``EVALUATION``) so that
the models can tell the user what to fix in a sentence.

How it works
============

The web client evaluates domains with its own Python interpreter, where
``context_today()`` is today in the user's timezone and datetimes have a
``to_utc()`` method that turns a datetime of the user's timezone into UTC. The
domain editor's "is within" operator writes both, e.g. "in the last month" on a
datetime field::

    ["&", ("create_date", ">=", datetime.datetime.combine(
        context_today() + relativedelta(months = -1), datetime.time(0, 0, 0)
    ).to_utc().strftime("%Y-%m-%d %H:%M:%S")), ...]

Odoo's ``safe_eval`` has neither: :func:`eval_context` provides them, bound to
a date and a timezone, besides ``time``, ``datetime``, ``dateutil``,
``relativedelta`` and ``timedelta``.

>>> from datetime import date
>>> context = eval_context(date(2026, 3, 2), "Europe/Brussels", uid=2)
>>> evaluate(
...     '[("create_date", ">=", datetime.datetime.combine(context_today() '
...     '+ relativedelta(months = -1), datetime.time(0, 0, 0)).to_utc()'
...     '.strftime("%Y-%m-%d %H:%M:%S"))]',
...     context,
... )
[('create_date', '>=', '2026-02-01 23:00:00')]
>>> evaluate('[("date", "<=", (context_today() + timedelta(days=1)).isoformat())]',
...          context)
[('date', '<=', '2026-03-03')]
>>> evaluate("[('user_id', '=', uid)]", context)
[('user_id', '=', 2)]
>>> evaluate("", context)
[]
>>> def why(text):
...     try:
...         evaluate(text, context)
...     except DomainError as error:
...         return error.code, error.detail
>>> why("[('name', '=', tomorrow)]")
('unknown_name', 'tomorrow')
>>> why("[('name', '=' 'x')")[0]
'syntax'
>>> why("'name'")
('not_a_list', "'name'")
>>> why("[('date', '>=', context_today().to_utc())]")[0]
'evaluation'
"""

import datetime as datetime_module
import functools
import types

import pytz
from dateutil.relativedelta import relativedelta

from odoo.tools import safe_eval as odoo_safe_eval

SYNTAX = "syntax"
UNKNOWN_NAME = "unknown_name"
NOT_A_LIST = "not_a_list"
EVALUATION = "evaluation"


class DomainError(ValueError):
    """Why a domain cannot be evaluated.

    :param code: ``SYNTAX``, ``UNKNOWN_NAME``, ``NOT_A_LIST`` or ``EVALUATION``
    :param detail: the unknown name, or the error's own text
    """

    def __init__(self, code, detail):
        super().__init__(
            {
                UNKNOWN_NAME: f"unknown name {detail!r}",
                NOT_A_LIST: f"not a list: {detail}",
            }.get(code, detail)
        )
        self.code = code
        self.detail = detail


@functools.lru_cache(maxsize=64)
def _datetime_class(tz):
    """A ``datetime`` whose ``to_utc()`` reads naive values in ``tz``."""
    zone = pytz.timezone(tz)

    class UserDateTime(datetime_module.datetime):
        def to_utc(self):
            """This datetime of the user's timezone, in UTC and naive (as
            Odoo stores datetimes)."""
            aware = self if self.tzinfo else zone.localize(self)
            utc = aware.astimezone(pytz.utc)
            return UserDateTime(*utc.timetuple()[:6], utc.microsecond)

    return UserDateTime


def eval_context(today, tz, **names):
    """The names a domain may use, for a user whose day is ``today`` in ``tz``.

    :param today: ``context_today()``, a date
    :param tz: a timezone name; unknown or empty names count as UTC
    :param names: more names (``uid``, ``user``…)
    """
    if tz not in pytz.all_timezones_set:
        tz = "UTC"
    return {
        "time": odoo_safe_eval.time,
        "datetime": types.SimpleNamespace(
            date=datetime_module.date,
            datetime=_datetime_class(tz),
            time=datetime_module.time,
            timedelta=datetime_module.timedelta,
            timezone=datetime_module.timezone,
            MAXYEAR=datetime_module.MAXYEAR,
            MINYEAR=datetime_module.MINYEAR,
        ),
        "dateutil": odoo_safe_eval.dateutil,
        "relativedelta": relativedelta,
        "timedelta": datetime_module.timedelta,
        "context_today": lambda: today,
        "today": today.strftime("%Y-%m-%d"),
        **names,
    }


def evaluate(text, context):
    """The domain written in ``text``, as a list; ``DomainError`` if it is not."""
    try:
        domain = odoo_safe_eval.safe_eval(text or "[]", context)
    except SyntaxError as error:
        raise DomainError(SYNTAX, error.msg) from error
    except Exception as error:
        # safe_eval wraps what the expression raised in a ValueError.
        cause = error.__context__ or error
        if isinstance(cause, NameError) and cause.name:
            raise DomainError(UNKNOWN_NAME, cause.name) from error
        raise DomainError(EVALUATION, str(cause)) from error
    if not isinstance(domain, list | tuple):
        raise DomainError(NOT_A_LIST, repr(domain))
    return list(domain)


def fields_read(domain):
    """The fields of the model whose values ``domain`` reads: the first name
    of each condition's path (a write of another field cannot change whether
    a record matches, unless through a related record).

    >>> sorted(fields_read(["|", ("state", "=", "paid"), ("partner_id.name", "=", 1)]))
    ['partner_id', 'state']
    >>> fields_read([])
    set()
    """
    return {
        leaf[0].split(".")[0]
        for leaf in domain
        if isinstance(leaf, list | tuple) and isinstance(leaf[0], str)
    }
