# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Why a task or an enrollment ended as it did, shown in the reader's language.

How to use: give the transitions of tasks (``_set_skipped``,
``_set_cancelled``, ``_set_error``) and of enrollments (``_set_state``) a
``Reason`` of the catalogue below, or a ``str``: free text (a server's
answer…), stored and shown as it is::

    tasks._set_skipped(Reason("no_date", field=field_label(model, "date_deadline")))
    enrollments._set_state(states.ENROLLMENT_EXITED, Reason("left_flow_domain"))
    tasks._set_error(Reason.of_exception(error))

How it works: a reason is stored as its code and its parameters (a JSON
object) and rendered when it is read (``render``), in the language of
whoever reads it. The catalogue holds lazy translations, exported to the
module's template. Parameters may be other reasons (``Reason.as_json``) and
labels of fields or selection values (``field_label``), rendered in the
reader's language too. SQL statements store ``code`` and ``params`` as they
are.

To add a reason, add its code to ``CATALOGUE``. Stored reasons keep their
code: never rename nor remove one. The reasons of the children an event
cancels are ``event_<event>``, their sentence the ``cancel_reason`` of the
event in the step catalogue (``step._get_step_types``), so that a step type
brings its own.
"""

import json
import logging

from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import format_datetime
from odoo.tools.query import Query
from odoo.tools.translate import LazyTranslate

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# How a moment parameter reads (a babel pattern): "Monday 9 March, 09:00".
MOMENT_FORMAT = "EEEE d MMMM, HH:mm"
# The code of free text: its only parameter, ``message``, is shown as it is.
MESSAGE = "message"
# The code of the children an event cancels is this prefix and the event.
EVENT_PREFIX = "event_"
CATALOGUE = {
    "flow_not_running": _lt("The flow is not running."),
    "flow_done": _lt("The flow was stopped."),
    "record_deleted": _lt("The record was deleted."),
    "converted": _lt("The record reached the flow's goal."),
    "no_date": _lt("The record has no %(field)s."),
    "date_passed": _lt("%(field)s has already passed."),
    "left_flow_domain": _lt("The record no longer matches the flow's domain."),
    "step_domain": _lt("The record does not match the step's domain."),
    "email_not_sent": _lt("The email could not be sent: %(reason)s"),
    # Why an email could not be sent, by kind (``engine/smtp_errors.py``):
    # what to check, then Odoo's text as the technical detail.
    "smtp_refused": _lt(
        "Cannot reach the outgoing mail server %(server)s (connection "
        "refused): check its host and port in Settings ▸ Technical ▸ Outgoing "
        "Mail Servers, then retry the task. Technical detail: %(detail)s"
    ),
    "smtp_timeout": _lt(
        "The outgoing mail server %(server)s did not answer in time: check its "
        "host and port in Settings ▸ Technical ▸ Outgoing Mail Servers and that "
        "a firewall lets Odoo reach it, then retry the task. Technical detail: "
        "%(detail)s"
    ),
    "smtp_unknown_host": _lt(
        "The name of the outgoing mail server %(server)s is unknown: correct its "
        "host in Settings ▸ Technical ▸ Outgoing Mail Servers, then retry the "
        "task. Technical detail: %(detail)s"
    ),
    "smtp_auth": _lt(
        "The outgoing mail server %(server)s refused the username or password: "
        "correct them in Settings ▸ Technical ▸ Outgoing Mail Servers, then "
        "retry the task. Technical detail: %(detail)s"
    ),
    "smtp_tls": _lt(
        "The secure connection (SSL/TLS) to the outgoing mail server %(server)s "
        "failed: check its encryption and port in Settings ▸ Technical ▸ "
        "Outgoing Mail Servers, then retry the task. Technical detail: "
        "%(detail)s"
    ),
    "smtp_recipient_refused": _lt(
        "The outgoing mail server %(server)s refused the recipient's address: "
        "check the email address of the record, then retry the task. Technical "
        "detail: %(detail)s"
    ),
    "smtp_sender_refused": _lt(
        "The outgoing mail server %(server)s refused the sender's address: "
        "choose an author (or a template sender) the server accepts, or set its "
        "FROM filtering in Settings ▸ Technical ▸ Outgoing Mail Servers, then "
        "retry the task. Technical detail: %(detail)s"
    ),
    "retrying": _lt("Attempt %(count)s failed, retrying: %(error)s"),
    "gave_up": _lt("Gave up after %(count)s attempts: %(error)s"),
    "step_of_another_flow": _lt(
        "The step %(step)s is not a step of the flow %(flow)s."
    ),
    "enrollment_of_another_flow": _lt(
        "The enrollment of the task is not its record's enrollment in the flow "
        "%(flow)s."
    ),
    "parent_of_another_enrollment": _lt(
        "The parent task belongs to another enrollment."
    ),
    "company_of_another_flow": _lt(
        "The task's company or model is not the one of its flow %(flow)s."
    ),
    "template_model": _lt(
        "The email template %(template)s is now made for %(template_model)s, "
        "not for %(model)s as the flow: nothing was sent. Choose a template of "
        "%(model)s in the step %(step)s, then retry."
    ),
    "send_window": _lt("Waiting for the send window: %(at)s."),
    "flow_paused": _lt("The flow is paused until %(at)s."),
    "consent_blacklisted": _lt("Skipped: the address is blacklisted."),
    "consent_flow_optout": _lt("Skipped: the address opted out of this flow."),
    "contact_cap": _lt("Deferred by the contact cap until %(at)s."),
    "contact_cap_skipped": _lt(
        "Skipped: the contact cap held the email back for more than %(days)s days."
    ),
    "assigned": _lt("Assigned to %(user)s."),
    "assign_no_rule": _lt(
        "No assignment rule matched the record and the step names no user to "
        "assign otherwise."
    ),
    "assign_no_user": _lt(
        "No user of the step %(step)s can be assigned now (archived or on "
        "leave): add an active user to the step, then retry."
    ),
    "followers_added": _lt("Followers added: %(people)s."),
    "webhook_delivered": _lt("Delivered: the receiver answered HTTP %(status)s."),
    "webhook_refused": _lt(
        "The receiver refused the call with HTTP %(status)s (%(response)s). "
        "Check the step's URL and what the receiver expects, then retry the "
        "task."
    ),
    "webhook_redirected": _lt(
        "The receiver answered HTTP %(status)s, a redirection to %(location)s: "
        "webhooks do not follow redirections. Put the final URL in the step, "
        "then retry the task."
    ),
    "webhook_server_error": _lt(
        "The receiver answered HTTP %(status)s (%(response)s)."
    ),
    "webhook_no_answer": _lt("No answer within %(timeout)s seconds."),
    "webhook_answer_cut_off": _lt(
        "The receiver answered HTTP %(status)s but did not finish its answer "
        "within the step's timeout of %(timeout)s seconds: the call was cut "
        "off."
    ),
    "webhook_unreachable": _lt("The receiver could not be reached: %(error)s"),
    "webhook_internal_address": _lt(
        "Not called: %(host)s is %(address)s, an address of this server or of "
        "a private network, and webhooks only call public addresses. Use the "
        "receiver's public URL, or ask an administrator to allow this network "
        "in the system parameter %(param)s, then retry the task."
    ),
    "webhook_interrupted": _lt(
        "The call was interrupted (the server stopped before the answer was "
        "recorded); it is made again with the same idempotency key."
    ),
    "webhook_failed": _lt("The webhook could not be prepared: %(error)s"),
    "approval_approved": _lt("Approved by %(decisions)s."),
    "approval_rejected": _lt("Rejected by %(decisions)s."),
    "unexpected_error": _lt(
        "An unexpected error stopped the step (%(type)s: %(error)s). Fix its "
        "cause, then retry the task."
    ),
    # What a user did to one record's journey (its enrollment or a task).
    "removed_by": _lt("Removed from the flow by %(user)s."),
    "paused_by": _lt("Paused by %(user)s on %(date)s."),
    "resumed_by": _lt("Resumed by %(user)s on %(date)s."),
    "skipped_by": _lt("Skipped by %(user)s."),
    "run_now_by": _lt("Run ahead of time by %(user)s."),
    "cancelled_by": _lt("Cancelled by %(user)s."),
    "simulated_by": _lt("Outcome simulated by %(user)s in a test."),
    "step_archived_by": _lt("The step was archived by %(user)s."),
}


class Reason:
    """A code of ``CATALOGUE`` (or ``MESSAGE``) and its parameters."""

    __slots__ = ("code", "params")

    def __init__(self, code, **params):
        if code != MESSAGE and code not in CATALOGUE:
            raise KeyError(f"Unknown reason code {code!r}")
        self.code = code
        self.params = {
            key: value.as_json() if isinstance(value, Reason) else value
            for key, value in params.items()
        }

    def __repr__(self):
        return f"Reason({self.code!r}, **{self.params!r})"

    @classmethod
    def of(cls, value):
        """``value`` as a reason: a ``Reason`` as it is, text as free text,
        nothing as ``None``."""
        if not value or isinstance(value, Reason):
            return value or None
        return cls(MESSAGE, message=str(value))

    @classmethod
    def of_exception(cls, error):
        """What a failed step tells its reader.

        A ``UserError`` (raised by a server action, an executor, a
        constraint) is written for users: its message alone. Any other
        exception is a bug or a broken configuration: its class hints at
        what to look for (``KeyError: 'x'`` says more than ``'x'``).
        """
        cause = error.__context__
        if cause is not None and str(error).startswith(f"{cause!r} while evaluating"):
            # safe_eval's wrapper of the error of a server action's code: the
            # code it quotes tells the reader nothing the action does not.
            error = cause
        if isinstance(error, UserError):
            return cls.of(str(error))
        return cls("unexpected_error", type=type(error).__name__, error=str(error))

    def as_json(self):
        return {"code": self.code, "params": self.params}


def reason_values(reason):
    """The stored fields (``reason_code``, ``reason_params``) of ``reason``
    (a ``Reason``, text or nothing), for ``write``."""
    reason = Reason.of(reason)
    return {
        "reason_code": reason.code if reason else False,
        "reason_params": reason.params if reason else False,
    }


def reason_sql(reason):
    """``reason`` (a ``Reason``, text or nothing) as the SQL assignments of
    ``reason_code`` and ``reason_params``, for set-based updates."""
    reason = Reason.of(reason)
    return SQL(
        "reason_code = %s, reason_params = %s::jsonb",
        reason.code if reason else None,
        json.dumps(reason.params) if reason else None,
    )


def field_label(model, field, value=None):
    """A parameter shown as the label of ``field`` of ``model``, or of its
    selection ``value``, in the reader's language."""
    return {"model": model, "field": field, "value": value}


def moment(at, zone):
    """A parameter shown as the time ``at`` (naive UTC) in the time zone
    ``zone`` (an IANA name), in the reader's language: "Monday 9 March,
    09:00 (Europe/Madrid)"."""
    return {"moment": str(at), "tz": zone}


def event_reason_code(event):
    """The stored code of the children cancelled by ``event``."""
    return f"{EVENT_PREFIX}{event}"


def _texts(env):
    """``{code: sentence}`` of every reason, in the language of ``env``: the
    catalogue's and those of the events of the installed step types."""
    texts = {code: env._(text) for code, text in CATALOGUE.items()}
    catalogue = env["automation.flow.step"]._step_catalogue()
    texts.update(
        (event_reason_code(event.key), event.cancel_reason)
        for event in catalogue.events.values()
        if event.cancel_reason
    )
    return texts


def render(env, code, params):
    """The text of a stored reason, in the language of ``env``."""
    if not code:
        return False
    params = {key: _render_param(env, value) for key, value in (params or {}).items()}
    if code == MESSAGE:
        return str(params.get("message", code))
    template = (
        env._(CATALOGUE[code])
        if code in CATALOGUE
        else code.startswith(EVENT_PREFIX) and _texts(env).get(code)
    )
    if not template:
        # A reason of a newer version of the module, or of a step type
        # uninstalled since.
        return str(params.get("message", code))
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        _logger.warning("Bad translation %r of the reason %r", template, code)
        return _texts(env(context=dict(env.context, lang="en_US")))[code] % params


def _render_param(env, value):
    if not isinstance(value, dict):
        return value
    if "code" in value:
        return render(env, value["code"], value.get("params"))
    if "moment" in value:
        at = format_datetime(env, value["moment"], value["tz"], MOMENT_FORMAT)
        return f"{at} ({value['tz']})"
    Model = env.get(value.get("model"))
    field = Model is not None and Model._fields.get(value.get("field"))
    if not field:
        # A field removed since: its technical name is all there is.
        return value.get("value") or value.get("field")
    if value.get("value") is None:
        return field._description_string(env)
    selection = dict(field._description_selection(env))
    return selection.get(value["value"], value["value"])


def search_reason(model, operator, value):
    """The domain of the records of ``model`` whose reason, as its reader
    reads it, matches: the codes whose text in the reader's language
    contains (or equals) ``value``, or whose parameters (free text, the
    error of a step) contain it.

    :param operator: ``ilike``, ``not ilike``, ``=`` or ``!=``; with an
        empty value, ``=`` and ``!=`` mean "has no reason" and "has one"
    """
    if operator in ("=", "!=") and not value:
        return [("reason_code", operator, False)]
    code = SQL.identifier(model._table, "reason_code")
    params = SQL.identifier(model._table, "reason_params")
    texts = _texts(model.env)
    if operator in ("ilike", "not ilike"):
        needle = str(value).lower()
        codes = [code for code, text in texts.items() if needle in text.lower()]
        condition = SQL(
            "(%s = ANY(%s) OR %s::text ILIKE %s)", code, codes, params, f"%{value}%"
        )
    elif operator in ("=", "!="):
        codes = [code for code, text in texts.items() if text == value]
        condition = SQL(
            "(%s = ANY(%s) OR (%s = %s AND %s->>'message' = %s))",
            code,
            codes,
            code,
            MESSAGE,
            params,
            value,
        )
    else:
        raise UserError(
            model.env._(
                "Search reasons with 'contains' or 'is equal to': %(operator)s "
                "is not supported.",
                operator=operator,
            )
        )
    query = Query(model.env, model._table)
    query.add_where(condition)
    return [("id", "in" if operator in ("ilike", "=") else "not in", query)]
