"""The automation engine's vocabulary and arithmetic, free of the ORM.

How to use
==========

The models import states, the trigger catalogue and the due-time arithmetic
from here, so that the rules are written once and can be read (and tested with
doctests) without a database::

    from ..engine import schedule, states, triggers

How it works
============

* :mod:`.states` names every state of flows, enrollments and tasks.
* :mod:`.triggers` says, for each trigger, under which parent step type it fits,
  whether its task waits for an event or is scheduled at once, and which event
  wakes or cancels it.
* :mod:`.schedule` turns a delay (amount + unit, optionally counted before or
  after a date of the record) into a due datetime.
* :mod:`.windows` says when a send window next opens in a time zone (working
  hours, holidays, pause dates, daylight saving time) and counts working days.
* :mod:`.pressure` lets a batch's marketing messages go within the contact
  caps (per person per day and per week) and says until when the others wait.
* :mod:`.retry` says how long a task waits before its next attempt.
* :mod:`.split` draws the branch of a random split from a hash of the
  enrollment and the step.
* :mod:`.fast_rows` says when a batch's messages and mails may be inserted
  without the ORM's ``create`` (no other module overrides it).
* :mod:`.signing` signs the links of the emails (tracking, unsubscribe) with
  the database's secret read once per batch.
* :mod:`.webhook` builds, signs and judges the calls of webhook steps.
* :mod:`.domains` evaluates the domains users write with the names of Odoo's
  web client (``context_today()``, ``relativedelta``, ``to_utc()``…).
* :mod:`.smtp_errors` reads why an email could not be sent (connection
  refused, timeout, authentication, TLS, an address refused) from Odoo's text.
"""

from . import (  # noqa: F401
    domains,
    fast_rows,
    pressure,
    retry,
    schedule,
    signing,
    smtp_errors,
    split,
    states,
    triggers,
    webhook,
    windows,
)
