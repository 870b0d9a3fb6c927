# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import time
from collections import defaultdict
from datetime import timedelta

from psycopg2.extensions import AsIs

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine import retry, schedule, signing, states, triggers
from ..exceptions import RetryableTaskError
from ..fields import UncheckedMany2one
from ..reasons import (
    Reason,
    event_reason_code,
    field_label,
    reason_sql,
    reason_values,
    render,
    search_reason,
)
from .automation_flow import is_testing

_logger = logging.getLogger(__name__)

TASK_STATES = [
    (states.TASK_WAITING, "Waiting"),
    (states.TASK_SCHEDULED, "Scheduled"),
    (states.TASK_RUNNING, "Running"),
    (states.TASK_DONE, "Done"),
    (states.TASK_SKIPPED, "Skipped"),
    (states.TASK_EXPIRED, "Expired"),
    (states.TASK_CANCELLED, "Cancelled"),
    (states.TASK_ERROR, "Error"),
]
EMAIL_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("bounced", "Bounced"),
]
# The email statistics of steps and flows: the counter each task timestamp
# fills, and each rate with the counter it takes in percent of the sent emails.
EMAIL_COUNTED_FIELDS = {
    "sent_at": "email_sent_count",
    "opened_at": "email_opened_count",
    "clicked_at": "email_clicked_count",
    "replied_at": "email_replied_count",
    "bounced_at": "email_bounced_count",
    "unsubscribed_at": "email_unsubscribed_count",
}
EMAIL_RATES = {
    "email_open_rate": "email_opened_count",
    "email_click_rate": "email_clicked_count",
    "email_reply_rate": "email_replied_count",
    "email_bounce_rate": "email_bounced_count",
}
EMAIL_COUNTERS = (*EMAIL_COUNTED_FIELDS.values(), "email_failed_count")
NO_EMAIL_STATISTICS = dict.fromkeys((*EMAIL_COUNTERS, *EMAIL_RATES), 0)
# What ending a task writes, invalidated after a set-based update.
ENDED_FIELDS = [
    "state",
    "done_at",
    "reason_code",
    "reason_params",
    "error_message",
]
# What the statements of an event write on tasks besides the events' own
# stamps (``_event_sql``): the email's state, and the moved children's state,
# dates and reason (with the message computed from it).
EVENT_WRITTEN_FIELDS = ["email_state", "scheduled_at", "expires_at", *ENDED_FIELDS]
# What the statements of an event do with the children of the tasks it
# happened to (``_event_sql``): stamp the event and move them at once, stamp
# it and leave their move to the scheduler (``automation.flow.deferred.move``),
# or move them only (the event was stamped with MOVE_LATER).
MOVE_NOW, MOVE_LATER, MOVE_ONLY = "now", "later", "only"
TRACKING_TOKEN_SCOPE = "automation_flow-task"
# Tokens signed before they were bound to the database (no database uuid in
# the signature) are accepted for the emails sent within this many days.
LEGACY_TOKEN_DAYS = 30
DEFAULT_BATCH_SIZE = 500
DEFAULT_TIME_BUDGET = 240
# A flow mail still outgoing this long after it was queued was left by a
# scheduler run that died while sending (or queued by a run that does not
# send): the next run sends it. Sooner, it may be a lane's batch in flight
# (harmless, as chunks are locked, but not worth taking from it).
LEFT_MAILS_AFTER = timedelta(minutes=1)
SCHEDULER_CRON = "cron_process_due_tasks"
# The context key of the scheduler's batches: steps whose effect leaves the
# database (webhooks) run only there, where their mark is committed first.
SCHEDULER_RUN = "automation_flow_scheduler_run"
INSERTED_COLUMNS = {
    "enrollment_id": "int4",
    "step_id": "int4",
    "parent_id": "int4",
    "res_id": "int4",
    "state": "varchar",
    "scheduled_at": "timestamp",
    "expires_at": "timestamp",
    "is_test": "bool",
}


class AutomationFlowTask(models.Model):
    """One step due or done for one enrollment.

    How it works: tasks are inserted in bulk (``_insert``) when records enroll
    and when a parent task is done. The scheduler takes due tasks with
    ``FOR UPDATE SKIP LOCKED`` (``_acquire_due_tasks``) so that several workers
    share them, runs them per step in batches (``_execute``), and commits per
    batch. States change only through the ``_set_*`` methods.
    """

    _name = "automation.flow.task"
    _inherit = ["automation.flow.record.mixin"]
    _description = "Automation Flow Task"
    _order = "id desc"
    _rec_name = "step_id"
    # No create_uid / write_uid / write_date: two foreign keys checked per
    # task inserted, for who ran the engine (the cron's user, mostly) and a
    # date of the last write that the reasons and the ``*_at`` columns tell
    # better. The creation date stays: journeys and the report order by it.
    _log_access = False

    enrollment_id = fields.Many2one(
        "automation.flow.enrollment", required=True, ondelete="cascade", index=True
    )
    # Its enrollment's flow, and deleted with it (see UncheckedMany2one).
    flow_id = UncheckedMany2one(
        "automation.flow", required=True, ondelete="cascade", index=True
    )
    step_id = fields.Many2one(
        "automation.flow.step", required=True, ondelete="cascade", index=True
    )
    step_type = fields.Selection(related="step_id.step_type")
    trigger = fields.Selection(related="step_id.trigger")
    parent_id = fields.Many2one(
        "automation.flow.task",
        string="Parent task",
        ondelete="cascade",
        index="btree_not_null",
    )
    child_ids = fields.One2many(
        "automation.flow.task", "parent_id", string="Next tasks"
    )
    # model, res_id, record_name, company_id: automation.flow.record.mixin
    is_test = fields.Boolean("Test", readonly=True, default=False)
    state = fields.Selection(
        TASK_STATES, default=states.TASK_SCHEDULED, required=True, readonly=True
    )
    scheduled_at = fields.Datetime("Due on", readonly=True)
    expires_at = fields.Datetime("Expires on", readonly=True)
    done_at = fields.Datetime("Ended on", readonly=True)
    # Why the task ended as it did, shown in the reader's language (reasons.py).
    reason_code = fields.Char("Reason code", readonly=True)
    reason_params = fields.Json("Reason parameters", readonly=True)
    error_message = fields.Text(
        "Error", compute="_compute_error_message", search="_search_error_message"
    )
    attempt = fields.Integer(
        "Attempts",
        readonly=True,
        default=0,
        help="How many times the step was tried and asked to be retried later.",
    )
    outcome = fields.Char(
        readonly=True,
        help="The branch a decision step (a condition…) took for the record: "
        "only the next steps of that branch follow.",
    )
    mail_mail_id = fields.Many2one(
        "mail.mail", string="Email", ondelete="set null", index="btree_not_null"
    )
    email_message_id = fields.Char(
        "Message-Id", readonly=True, index="btree_not_null", copy=False
    )
    activity_id = fields.Many2one(
        "mail.activity", ondelete="set null", index="btree_not_null"
    )
    # What happened to the email or the activity, each event stamped once
    # with the time it first happened, in the column its step type's file
    # declares (sent_at, opened_at…): the triggers of the next steps and the
    # statistics read them.
    email_state = fields.Selection(EMAIL_STATES, readonly=True)
    link_click_ids = fields.One2many(
        "link.tracker.click", "automation_flow_task_id", string="Clicks"
    )
    create_date = fields.Datetime(
        "Created on", readonly=True, default=fields.Datetime.now
    )

    def init(self):
        self._drop_older_schema()
        cr = self.env.cr
        cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_task_due_idx
               ON automation_flow_task (scheduled_at, id) WHERE state = 'scheduled'"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_task_expiry_idx
               ON automation_flow_task (expires_at)
               WHERE state = 'waiting' AND expires_at IS NOT NULL"""
        )

    # ------------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------------

    @api.model
    def _insert(self, flow, values):
        """Insert many tasks of ``flow`` in one statement.

        ``values`` maps each column of ``INSERTED_COLUMNS`` to a list, one
        item per task, or to one value for every task (a step, a state: sent
        once rather than as an array PostgreSQL parses item by item). The ORM
        ``create`` costs more than the whole engine at the sizes flows run
        at; nothing computed depends on these rows.
        """
        if not values["res_id"]:
            return
        listed = [
            column
            for column in INSERTED_COLUMNS
            if isinstance(values[column], list | tuple)
        ]
        constants = [column for column in INSERTED_COLUMNS if column not in listed]
        self.env.cr.execute(
            SQL(
                """INSERT INTO automation_flow_task (
                       %(columns)s, flow_id, company_id, model, create_date)
                   SELECT rows.*, %(constants)s %(flow_columns)s
                   FROM unnest(%(arrays)s) AS rows""",
                columns=SQL(", ").join(map(SQL.identifier, listed + constants)),
                constants=SQL().join(
                    SQL("%s, ", self._typed(column, values[column]))
                    for column in constants
                ),
                arrays=SQL(", ").join(
                    SQL("%s::%s[]", list(values[column]), SQL(INSERTED_COLUMNS[column]))
                    for column in listed
                ),
                flow_columns=self._flow_columns(flow),
            )
        )
        self._invalidate_inserted()

    @api.model
    def _insert_for_new_enrollments_sql(self, flow, values_list, enrollments):
        """SQL inserting one task per item of ``values_list`` for each row
        of ``enrollments``, the name of a relation of ``(id, res_id)``: the
        enrollments a statement inserts (``flow._insert_enrollments``).

        ``values_list`` are ``step._task_values`` of root steps whose every
        value but the enrollment and the record is the same for all their
        tasks. PostgreSQL reads their rows from the enrollments just
        inserted, in the same statement: the ids are not sent back to it as
        arrays (readme/DEVELOP.md, *Engine changes*). Call
        ``_invalidate_inserted`` once the statement ran.
        """
        own = ("enrollment_id", "res_id")
        columns = [column for column in INSERTED_COLUMNS if column not in own]
        return SQL(
            """INSERT INTO automation_flow_task (
                   enrollment_id, res_id, %(columns)s,
                   flow_id, company_id, model, create_date)
               SELECT enrollment.id, enrollment.res_id, %(root_columns)s,
                      %(flow_columns)s
               FROM (VALUES %(roots)s) AS root(position, %(columns)s)
               CROSS JOIN %(enrollments)s enrollment
               ORDER BY root.position, enrollment.id""",
            columns=SQL(", ").join(map(SQL.identifier, columns)),
            root_columns=SQL(", ").join(
                SQL.identifier("root", column) for column in columns
            ),
            flow_columns=self._flow_columns(flow),
            enrollments=SQL.identifier(enrollments),
            # The tasks of a step follow each other, as ``_insert``'s do:
            # the scheduler takes due tasks in id order, a step's batch
            # together.
            roots=SQL(", ").join(
                SQL(
                    "(%s, %s)",
                    position,
                    SQL(", ").join(
                        self._typed(column, values[column]) for column in columns
                    ),
                )
                for position, values in enumerate(values_list)
            ),
        )

    @api.model
    def _typed(self, column, value):
        """SQL of one value of a column of ``INSERTED_COLUMNS``, cast to the
        column's type (a ``NULL`` has none of its own)."""
        return SQL("%s::%s", value, SQL(INSERTED_COLUMNS[column]))

    @api.model
    def _flow_columns(self, flow):
        """SQL of the values of a new task's columns that are its flow's."""
        return SQL(
            "%s, %s, %s, %s",
            flow.id,
            flow.company_id.id or None,
            flow.model,
            fields.Datetime.now(),
        )

    @api.model
    def _invalidate_inserted(self):
        """Forget the caches listing tasks, after tasks were inserted in SQL."""
        self.env["automation.flow.enrollment"].invalidate_model(["task_ids"])
        self.env["automation.flow.step"].invalidate_model(["task_ids"])
        self.invalidate_model(["child_ids"])

    def _write_links(self, **columns):
        """Store, per task, what its step created (mail, activity, …).

        Each keyword is a field and a list of values aligned with ``self``.
        The values go to the cache as ``write`` puts them there (dirty, the
        dependents told), with one list per field instead of one ``write``
        per task, and reach the rows with the tasks' other changes at the
        next flush: the step's results and the task's end are one
        ``UPDATE`` of the row and its twelve indexes, not two.
        """
        names = list(columns)
        relational = [name for name in names if self._fields[name].relational]
        if relational:
            self.modified(relational, before=True)
        cache = self.env.cache
        for name, values in columns.items():
            field = self._fields[name]
            cache.update(
                self,
                field,
                [field.convert_to_cache(value, self) for value in values],
                dirty=True,
            )
            # The one2many caches listing tasks by this field are not kept
            # up to date value by value: they are read again.
            for inverse in self.pool.field_inverses[field]:
                self.env[inverse.model_name].invalidate_model(
                    [inverse.name], flush=False
                )
        self.modified(names)

    # ------------------------------------------------------------------
    # Belonging together
    # ------------------------------------------------------------------

    @api.constrains("flow_id", "step_id", "enrollment_id", "parent_id", "res_id")
    def _check_belonging(self):
        for reason, _tasks in self._mismatches():
            raise ValidationError(render(self.env, reason.code, reason.params))

    def _mismatches(self):
        """The tasks whose step, enrollment, record, parent or company is not
        their flow's, by reason: ``[(Reason, tasks)]``.

        The engine never makes such a task; run, it would make a step act for
        a flow, a company or a record it is not for.
        """
        mismatches = {}
        for task in self._suspects_of_mismatch():
            flow = task.flow_id
            enrollment = task.enrollment_id
            if task.step_id.flow_id != flow:
                reason = Reason(
                    "step_of_another_flow", step=task.step_id.name, flow=flow.name
                )
            elif enrollment.flow_id != flow or enrollment.res_id != task.res_id:
                reason = Reason("enrollment_of_another_flow", flow=flow.name)
            elif task.parent_id and task.parent_id.enrollment_id != enrollment:
                reason = Reason("parent_of_another_enrollment")
            elif task.company_id != flow.company_id or task.model != flow.model:
                reason = Reason("company_of_another_flow", flow=flow.name)
            else:
                continue
            mismatch = mismatches.setdefault(repr(reason), [reason, self.browse()])
            mismatch[1] |= task
        return [tuple(mismatch) for mismatch in mismatches.values()]

    def _suspects_of_mismatch(self):
        """These tasks but those whose ids say they belong with their flow.

        The comparisons of ``_mismatches`` on the ids in the cache (fetched
        for the set, as the records would read them): the
        scheduler checks every task of every batch, and building a record
        per field per task was a twentieth of the execution. Whatever is not
        in the cache leaves every task to ``_mismatches``.
        """
        cache = self.env.cache

        def columns(model, ids, *names):
            """``[{id: value in the cache}]`` of ``names`` for the records
            ``ids`` of ``model``, fetched as reading a record fetches them:
            with the other columns (which the steps read next)."""
            records = self.env[model].browse(sorted({id_ for id_ in ids if id_}))
            for name in names:
                field = records._fields[name]
                missing = records.browse(cache.get_missing_ids(records, field))
                if missing:
                    missing._fetch_field(field)
            return [
                dict(
                    zip(
                        records._ids,
                        cache.get_until_miss(records, records._fields[name]),
                        strict=False,
                    )
                )
                for name in names
            ]

        task = dict(
            zip(
                names := ("flow_id", "step_id", "enrollment_id", "parent_id")
                + ("res_id", "company_id", "model"),
                columns(self._name, self._ids, *names),
                strict=True,
            )
        )
        if any(len(values) != len(set(self._ids)) for values in task.values()):
            return self
        enrollment_ids = task["enrollment_id"].values()
        flow_company, flow_model = columns(
            "automation.flow", task["flow_id"].values(), "company_id", "model"
        )
        (step_flow,) = columns(
            "automation.flow.step", task["step_id"].values(), "flow_id"
        )
        enrollment_flow, enrollment_res = columns(
            "automation.flow.enrollment", enrollment_ids, "flow_id", "res_id"
        )
        (parent_enrollment,) = columns(
            self._name, task["parent_id"].values(), "enrollment_id"
        )
        suspects = []
        for id_ in self._ids:
            flow, enrollment = task["flow_id"][id_], task["enrollment_id"][id_]
            parent = task["parent_id"][id_]
            if not (
                flow
                and step_flow.get(task["step_id"][id_]) == flow
                and enrollment_flow.get(enrollment) == flow
                and enrollment_res.get(enrollment) == task["res_id"][id_]
                and (not parent or parent_enrollment.get(parent) == enrollment)
                and flow_company.get(flow) == task["company_id"][id_]
                and flow_model.get(flow) == task["model"][id_]
            ):
                suspects.append(id_)
        return self.browse(suspects)

    def _refuse_mismatched(self):
        """End in error the tasks that do not belong with their flow; return
        the others."""
        refused = self.browse()
        for reason, tasks in self._mismatches():
            tasks._set_error(reason)
            refused |= tasks
        return self - refused

    # ------------------------------------------------------------------
    # State transitions: one write over the set, stamping the time
    # ------------------------------------------------------------------

    def _transition(self, state, values=None):
        """Move these tasks to ``state`` in one write with ``values``: every
        ORM writer of a task's state comes here. A move that
        ``states.TASK_TRANSITIONS`` does not allow is refused."""
        illegal = self.filtered(lambda task: not states.may_move(task.state, state))
        if illegal:
            labels = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                _(
                    "The tasks %(tasks)s cannot move from %(current)s to "
                    "%(state)s. Only tasks in error can be retried, and ended "
                    "tasks stay as they ended.",
                    tasks=", ".join(map(str, illegal.ids)),
                    current=", ".join(sorted({labels[task.state] for task in illegal})),
                    state=labels[state],
                )
            )
        self.write({"state": state, **(values or {})})

    def _set_done(self, results=None):
        """:param results: what the step did to each record, shown in the
        journey ("Assigned to Ana"): ``{task id: Reason}`` for the tasks
        that have one (see ``step._execute``)"""
        self._set_ended(states.TASK_DONE)
        done = self.filtered(lambda task: task.id in (results or {}))
        if done:
            reasons = [Reason.of(results[task.id]) for task in done]
            done._write_links(
                reason_code=[reason.code for reason in reasons],
                reason_params=[reason.params for reason in reasons],
            )
            done.invalidate_recordset(["error_message"])

    def _set_skipped(self, reason):
        """:param reason: a ``Reason`` or free text (see ``reasons.py``)"""
        self._set_ended(states.TASK_SKIPPED, reason)

    def _set_cancelled(self, reason=False):
        """:param reason: a ``Reason``, free text or nothing"""
        self._set_ended(states.TASK_CANCELLED, reason)

    def _set_error(self, message):
        """:param message: a ``Reason`` (``Reason.of_exception(error)``…) or
        free text"""
        self._set_ended(states.TASK_ERROR, message)

    def _set_ended(self, state, reason=False):
        self._transition(
            state, {"done_at": fields.Datetime.now(), **reason_values(reason)}
        )

    def _retry_later(self, error):
        """Schedule the tasks again after the step's retry delay, or end them
        in error once the step's attempts are spent.

        :param error: a ``RetryableTaskError`` (its ``seconds`` override the
            step's retry pattern), or a ``Reason`` saying what failed
        """
        step = self.step_id
        message = error if isinstance(error, Reason) else str(error)
        for attempt, tasks in self.grouped("attempt").items():
            tasks._transition(
                *tasks._after_failed_attempt(
                    step, attempt + 1, message, getattr(error, "seconds", None)
                )
            )

    @api.model
    def _after_failed_attempt(self, step, attempt, error, seconds=None):
        """What a task of ``step`` becomes when its try number ``attempt``
        failed with ``error`` (a ``Reason`` or text): ``(state, values)``,
        scheduled again after ``seconds`` (by default the step's retry
        pattern, ``engine/retry.py``), or in error once the step's attempts
        are spent."""
        now = fields.Datetime.now()
        if attempt >= step.max_attempts:
            return states.TASK_ERROR, {
                "done_at": now,
                **reason_values(Reason("gave_up", count=attempt, error=error)),
            }
        seconds = seconds or retry.retry_seconds(step._retry_pattern(), attempt)
        return states.TASK_SCHEDULED, {
            "scheduled_at": now + timedelta(seconds=seconds),
            "attempt": attempt,
            **reason_values(Reason("retrying", count=attempt, error=error)),
        }

    def _hold_until(self, rows, stamp):
        """Hold scheduled tasks back, in one ``UPDATE``: ``rows`` are
        ``(task id, until, reason code, reason parameters as JSON)``;
        ``stamp`` is the column keeping when the task was first held (by
        the send window, by the contact cap)."""
        now = fields.Datetime.now()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task task
                   SET scheduled_at = held.at, reason_code = held.code,
                       reason_params = held.params::jsonb,
                       %(stamp)s = COALESCE(task.%(stamp)s, %(now)s)
                   FROM unnest(%(ids)s::int4[], %(ats)s::timestamp[],
                               %(codes)s::varchar[], %(params)s::text[])
                        AS held(id, at, code, params)
                   WHERE task.id = held.id AND task.state = %(scheduled)s""",
                stamp=SQL.identifier(stamp),
                ids=[row[0] for row in rows],
                ats=[row[1] for row in rows],
                codes=[row[2] for row in rows],
                params=[row[3] for row in rows],
                now=now,
                scheduled=states.TASK_SCHEDULED,
            )
        )
        self.browse([row[0] for row in rows]).invalidate_recordset(
            [
                "scheduled_at",
                "reason_code",
                "reason_params",
                "error_message",
                stamp,
            ]
        )

    def _set_scheduled(self, at):
        self._transition(
            states.TASK_SCHEDULED,
            {"scheduled_at": at, "done_at": False, **reason_values(False)},
        )

    @api.model
    def _cancel_pending(self, field, ids, reason=False):
        """Cancel, in one statement, the pending tasks whose ``field``
        (``flow_id``, ``enrollment_id``) is in ``ids``, whatever their number:
        the ORM would load and write them one by one. Keeps to
        ``states.TASK_TRANSITIONS`` by taking only the states that may be
        cancelled."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task
                   SET state = %(cancelled)s, done_at = %(now)s, %(reason)s
                   WHERE %(field)s = ANY(%(ids)s) AND state IN %(sources)s""",
                cancelled=states.TASK_CANCELLED,
                now=now,
                reason=reason_sql(reason),
                field=SQL.identifier(field),
                ids=list(ids),
                sources=states.sources_of(states.TASK_CANCELLED),
            )
        )
        self.invalidate_model(ENDED_FIELDS)

    @api.depends("reason_code", "reason_params")
    @api.depends_context("lang")
    def _compute_error_message(self):
        for task in self:
            task.error_message = render(self.env, task.reason_code, task.reason_params)

    def _search_error_message(self, operator, value):
        return search_reason(self, operator, value)

    # ------------------------------------------------------------------
    # Events: what people do with the emails and activities
    # ------------------------------------------------------------------

    def _on_event(self, event, at=None, move=MOVE_NOW, flush=True):
        """Record ``event`` (and the events it implies) on these tasks, then
        move their children: wake those waiting for it (due at ``at`` +
        delay), cancel the "not …" ones it disproves and those it makes
        impossible. Only the first occurrence of an event counts; tasks of
        ended flows or enrollments get the stamp and nothing else.

        Opens and clicks arrive one HTTP request each, by the hundred
        thousand: each implied event is one statement that stamps the tasks,
        moves their children and tells when the scheduler runs next,
        whatever the number of tasks.

        :param event: the key of an event of the step catalogue
            (``step._get_step_types``)
        :param at: when it happened (now by default)
        :param move: ``MOVE_LATER`` leaves the move of the children to the
            scheduler's next run, which moves them as of ``at``
            (``automation.flow.deferred.move``): the open pixel's request
            then writes one stamp and one row. ``MOVE_ONLY`` is that move.
        :param flush: ``False`` when nothing is pending in the transaction
            (the open pixel's request changed nothing before)
        """
        at = at or fields.Datetime.now()
        if flush:
            self.flush_model()
        scheduled, stamped = [], ["email_state"]
        for statement, moves, field in self._event_statements(event, move):
            scheduled += self._stamp_event(statement, moves, at)
            stamped.append(field)
        # The fields the statements wrote, and no other: invalidating the
        # whole model would also flush and empty the caches of every model
        # that refers to tasks, a quarter of the Python time of an open. The
        # flush above left nothing to flush. Left for later, the move wrote
        # on these tasks only.
        if move == MOVE_LATER:
            self.invalidate_recordset(stamped, flush=False)
        else:
            self.invalidate_model(stamped + EVENT_WRITTEN_FIELDS, flush=False)
        self._wake_scheduler(scheduled)

    def _wake_scheduler(self, scheduled):
        """Make sure the scheduler runs by the earliest due time of
        ``scheduled``, rows ``(due, next run)`` returned with
        ``_scheduler_next_run_sql``.

        The scheduler comes back by itself at its next call, or at a trigger
        already set: a new trigger only when neither is soon enough (one row
        per burst of opens, not one per open).
        """
        if not scheduled:
            return
        due = min(due for due, _next_run in scheduled)
        next_run = scheduled[0][1]
        if not next_run or due < next_run:
            self._scheduler_cron()._trigger(at=due)

    def _scheduler_next_run_sql(self):
        """SQL of when the scheduler runs next: its next call or its earliest
        pending trigger (to return with the tasks a statement schedules)."""
        return SQL(
            """(SELECT least(cron.nextcall, min(cron_trigger.call_at))
                FROM ir_cron cron
                LEFT JOIN ir_cron_trigger cron_trigger
                       ON cron_trigger.cron_id = cron.id
                WHERE cron.id = %s
                GROUP BY cron.nextcall)""",
            self._scheduler_cron().id,
        )

    def _record_event(self, event, savepoint=True, move=MOVE_NOW):
        """``_on_event`` for the hooks of what people do (an open, a click, a
        reply, a bounce, an activity done or cancelled): a failure is undone
        and logged, never raised, so that the image is served, the reply
        routed and the activity done whatever happens to the flow.

        A conflict with a concurrent transaction is raised inside an HTTP
        request or an RPC call: Odoo replays it with a fresh snapshot, which
        records the event. Elsewhere (the mail fetcher) nothing replays it:
        the event is lost, not the person's action.

        :param savepoint: ``False`` when the event is the only change of the
            transaction (the open pixel): a failure then rolls the whole
            transaction back, which spares the two statements of a savepoint
            on every open, and nothing is left to flush before it.
        :param move: see ``_on_event``
        """
        if not self:
            return
        try:
            if savepoint:
                with self.env.cr.savepoint():
                    self._on_event(event, move=move)
            else:
                self._on_event(event, move=move, flush=False)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            if request:
                raise
            _logger.warning(
                "Event %s of tasks %s lost to a concurrent update.", event, self.ids
            )
        except Exception:  # noqa: BLE001
            if not savepoint:
                self.env.cr.rollback()
            # A warning, not an error: the person's action succeeded, the
            # flow's reaction to it did not.
            _logger.warning(
                "Could not record the event %s of tasks %s.",
                event,
                self.ids,
                exc_info=True,
            )

    def _stamp_event(self, statement, moves, at):
        """Stamp the first time of an event on these tasks and move the
        pending children of those it happened to for the first time, with
        ``statement`` (of ``_event_statements``, which tells whether it
        ``moves`` children); return ``[(due, next run)]`` for the earliest
        child it scheduled (``_wake_scheduler``), or nothing.
        """
        self.env.cr.execute(
            statement, {"ids": self.ids, "at": at, "now": fields.Datetime.now()}
        )
        if not moves:
            return []
        due, next_run = self.env.cr.fetchone()
        return [(due, next_run)] if due else []

    @api.model
    @tools.ormcache("event", "move")
    def _event_statements(self, event, move=MOVE_NOW):
        """The statements of ``_on_event`` for ``event``, one per event it
        implies (itself first) and for ``move`` (``MOVE_NOW``…):
        ``(text, moves, field)`` with ``moves`` whether it moves children
        and ``field`` the task column it stamps.
        Built once per registry (``_event_sql``): the texts have the
        placeholders ``%(ids)s``, ``%(at)s`` and ``%(now)s`` and the
        catalogue's constants written in.

        Built per event, a statement cost about 0.3 ms of Python per open:
        composing it, then quoting each of its 40 parameters, the event's
        time a dozen times. The texts depend on the catalogue's keys and
        columns, never on its labels: one tuple serves every language, and
        an open looks neither the catalogue nor each statement up again.
        """
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        marks = {name: f"automation_flow_{name}_value" for name in ("ids", "at", "now")}
        placeholders = {name: AsIs(mark) for name, mark in marks.items()}
        statements = []
        # The implied events stamped with MOVE_LATER have rows of their own.
        implied_events = (
            (event,) if move == MOVE_ONLY else triggers.events_implied(catalogue, event)
        )
        for implied in implied_events:
            sql, moves = self._event_sql(catalogue, implied, move, **placeholders)
            if sql is None:
                continue
            # The constants quoted once; the ``%`` they may hold escaped for
            # the placeholders of the execution.
            text = self.env.cr.mogrify(sql.code, sql.params).decode()
            text = text.replace("%", "%%")
            for name, mark in marks.items():
                text = text.replace(mark, f"%({name})s")
            statements.append((text, moves, catalogue.events[implied].field))
        return tuple(statements)

    @api.model
    def _event_sql(self, catalogue, event, move, ids, at, now):
        """SQL stamping ``event`` at ``at`` on the tasks ``ids`` and moving the
        pending children of those it happened to for the first time
        (``_move_children_sql``), and whether it moves children.

        When the event concerns no trigger, the statement is the stamp alone
        (nothing for ``MOVE_ONLY``). Else it returns the earliest due time of
        the children it scheduled and, only then, the scheduler's next run
        (PostgreSQL evaluates the sub-select on first use). With
        ``MOVE_LATER`` it stamps and adds a row for the scheduler
        (``automation.flow.deferred.move``) for each task stamped; with
        ``MOVE_ONLY`` it moves the children of ``ids`` as of ``at`` without
        stamping (their stamp came with that row).
        """
        event = catalogue.events[event]
        stamp = SQL(
            """UPDATE automation_flow_task
               SET %(field)s = %(at)s,
                   email_state = COALESCE(%(email_state)s, email_state)
               WHERE id = ANY(%(ids)s) AND %(field)s IS NULL""",
            field=SQL.identifier(event.field),
            at=at,
            email_state=event.email_state,
            ids=ids,
        )
        move_sql = self._move_children_sql(catalogue, event.key, ids, at, now)
        if move_sql is None:
            return (None if move == MOVE_ONLY else stamp), False
        if move == MOVE_LATER:
            return (
                SQL(
                    """WITH stamped AS (%s RETURNING id)
                       INSERT INTO automation_flow_deferred_move (task_id, event, at)
                       SELECT id, %s, %s FROM stamped""",
                    stamp,
                    event.key,
                    at,
                ),
                False,
            )
        if move == MOVE_ONLY:
            stamp = SQL("SELECT unnest(%s::int[]) AS id", ids)
        else:
            stamp = SQL("%s RETURNING id", stamp)
        return (
            SQL(
                """WITH stamped AS (%(stamp)s),
                        moved AS (%(move)s)
                   SELECT due, CASE WHEN due IS NOT NULL THEN %(next_run)s END
                   FROM (SELECT min(scheduled_at) AS due FROM moved
                         WHERE state = %(scheduled)s) earliest""",
                stamp=stamp,
                move=move_sql,
                next_run=self._scheduler_next_run_sql(),
                scheduled=states.TASK_SCHEDULED,
            ),
            True,
        )

    def _move_children_sql(self, catalogue, event, ids, at, now):
        """SQL of the move of the pending children of the tasks ``stamped``
        (the first part of ``_event_sql``'s statement, on ``ids``) after
        ``event`` at ``at`` (``now`` for the cancelled ones' end),
        driven by the trigger catalogue, returning each child's state and due
        time; ``None`` when the event moves no trigger.

        The siblings of one email share their origin and their deadline: the
        send moves the due time of the "not …" children and the expiry of the
        waiting ones to the send time (``rescheduled_by``). An event at the
        deadline or later is late for the waiting child (expired) and no
        longer disproves the "not …" one (``disproved_by``): of an "opened
        within 2 days" and a "not opened within 2 days", exactly one runs,
        whenever the open comes and whenever the scheduler runs.

        Children of a step counting from a date of the record are woken at
        ``at``: the scheduler then reschedules them to that date, as it does
        for every such step. Children of ended flows or enrollments stay.

        Keeps to ``states.TASK_TRANSITIONS``: it moves pending children only,
        a waiting one to scheduled, expired or cancelled, a scheduled one to
        cancelled. A child among the stamped tasks themselves is left alone:
        one statement cannot update a row twice (an event happens to tasks
        whose step ran, which are not pending: none is).

        The statement is shaped for PostgreSQL's planner, whose work (about
        1 ms) exceeded the execution's (0.3 ms) and is redone for every open:
        prepared statements do not last, since Odoo's pool resets each
        connection it lends (psycopg2's ``DISCARD ALL``). The condition of the
        children it concerns is wrapped in ``IS TRUE`` (the same rows), which
        PostgreSQL takes as one filter instead of trying each of its ``OR``
        arms as an index condition; the parents are an array of the stamped
        ids and the enrollment's and flow's states are read by sub-selects
        on their primary key, not joins, which leaves the planner one join to
        order instead of three and a semi-join: planning 0.8-0.9 → 0.4 ms.
        """
        cancelled = triggers.cancelled_by(catalogue, event)
        disproved = triggers.disproved_by(catalogue, event)
        woken = list(triggers.woken_by(catalogue, event))
        rescheduled = list(triggers.rescheduled_by(catalogue, event))
        if not (cancelled or woken or rescheduled):
            return None
        is_cancelled = SQL(
            """(step.trigger = ANY(%s)
                OR (step.trigger = ANY(%s) AND child.scheduled_at > %s))""",
            list(cancelled - disproved),
            list(disproved),
            at,
        )
        is_woken = SQL(
            "(child.state = %s AND step.trigger = ANY(%s))", states.TASK_WAITING, woken
        )
        is_late = SQL("(%s AND child.expires_at <= %s)", is_woken, at)
        return SQL(
            """UPDATE automation_flow_task child
               SET state = CASE WHEN %(is_cancelled)s THEN %(cancelled_state)s
                                WHEN %(is_late)s THEN %(expired_state)s
                                WHEN %(is_woken)s THEN %(scheduled_state)s
                                ELSE child.state END,
                   scheduled_at = CASE
                       WHEN %(is_cancelled)s OR %(is_late)s THEN child.scheduled_at
                       WHEN %(is_woken)s AND step.date_field_id IS NOT NULL
                       THEN %(at)s
                       WHEN step.date_field_id IS NULL
                            AND (%(is_woken)s OR child.state = %(scheduled_state)s)
                       THEN %(at)s + %(delay)s
                       ELSE child.scheduled_at END,
                   expires_at = CASE
                       WHEN %(is_cancelled)s OR %(is_woken)s
                            OR child.state != %(waiting_state)s
                       THEN child.expires_at
                       WHEN step.expiry > 0 THEN %(at)s + %(expiry)s END,
                   done_at = CASE WHEN %(is_cancelled)s OR %(is_late)s
                                  THEN %(now)s END,
                   reason_code = CASE WHEN %(is_cancelled)s THEN %(reason)s END,
                   reason_params = NULL
               FROM automation_flow_step step
               WHERE child.parent_id = ANY(ARRAY(SELECT id FROM stamped))
                 AND child.id != ALL(%(ids)s)
                 AND child.state IN %(pending)s
                 AND step.id = child.step_id
                 AND (SELECT enrollment.state IN %(active)s
                      FROM automation_flow_enrollment enrollment
                      WHERE enrollment.id = child.enrollment_id)
                 AND (SELECT flow.state IN %(flow_running)s OR child.is_test
                      FROM automation_flow flow WHERE flow.id = child.flow_id)
                 AND (%(is_cancelled)s OR %(is_woken)s
                      OR step.trigger = ANY(%(rescheduled)s)) IS TRUE
               RETURNING child.state, child.scheduled_at""",
            is_cancelled=is_cancelled,
            is_woken=is_woken,
            is_late=is_late,
            delay=self._interval_sql("step.delay", "step.delay_unit"),
            expiry=self._interval_sql("step.expiry", "step.expiry_unit"),
            cancelled_state=states.TASK_CANCELLED,
            expired_state=states.TASK_EXPIRED,
            scheduled_state=states.TASK_SCHEDULED,
            waiting_state=states.TASK_WAITING,
            at=at,
            now=now,
            reason=event_reason_code(event) if cancelled else None,
            ids=ids,
            pending=states.TASK_PENDING,
            active=states.ENROLLMENT_ACTIVE,
            flow_running=states.FLOW_RUNNING,
            rescheduled=rescheduled,
        )

    @api.model
    def _interval_sql(self, amount, unit):
        """SQL of ``amount`` ``unit`` (two columns of the step) as an interval.

        '1 minutes', '1 months'…: PostgreSQL adds months on the calendar, as
        engine/schedule.py does. The columns are NOT NULL; the COALESCE keeps
        a row written around the ORM from making the event fail.
        """
        return SQL(
            "COALESCE(%s, 0) * CAST('1 ' || COALESCE(%s, 'hours') AS interval)",
            SQL(amount),
            SQL(unit),
        )

    def _scheduler_cron(self):
        """The cron that runs due tasks (no query: the xmlid is cached).

        Crons are readable by administrators only; whoever records an event
        may tell the engine's own cron when to come back.
        """
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            f"automation_flow.{SCHEDULER_CRON}"
        )
        return self.env["ir.cron"].sudo().browse(cron_id)

    @api.model
    @tools.ormcache()
    def _signing_key(self):
        """``(secret, uuid)`` of the database, which the links' signatures
        are made with: read once for a batch's emails and given to
        ``_tracking_token`` and ``_unsubscribe_token``.

        Kept in the registry's cache, which a change of any system parameter
        empties: every open and click checks a signature, and the two
        parameters' own cached reads cost twice one lookup.
        """
        # The database secret and uuid are readable by the superuser only.
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param("database.secret"), params.get_param("database.uuid")

    @api.model
    def _tracking_token(self, task_id, key=None):
        """The signature that proves a request comes from the task's email
        (``key``: ``_signing_key()``, read here when not given).

        It is bound to the database (its secret and its uuid): a copy of the
        database, which gets a new uuid, refuses the tokens of the original.
        Tokens do not expire otherwise.
        """
        secret, database = key or self._signing_key()
        return signing.sign(secret, TRACKING_TOKEN_SCOPE, (database, task_id))

    @api.model
    def _legacy_tracking_token(self, task_id):
        """The signature of the emails sent before tokens named the database."""
        # The database secret is readable by the superuser only.
        return tools.hmac(self.env(su=True), TRACKING_TOKEN_SCOPE, task_id)

    @api.model
    def _from_tracking_token(self, task_id, token):
        """The task ``task_id`` if ``token`` is its signature, else nothing.

        A legacy signature (``_legacy_tracking_token``) is accepted for the
        emails sent (or queued, when their sending is not known) less than
        ``LEGACY_TOKEN_DAYS`` days ago. The task may have been deleted since:
        events on it change nothing.
        """
        token = str(token or "")
        if tools.consteq(token, self._tracking_token(task_id)):
            return self.browse(task_id)
        if tools.consteq(token, self._legacy_tracking_token(task_id)):
            since = fields.Datetime.now() - timedelta(days=LEGACY_TOKEN_DAYS)
            return self.search(
                [
                    ("id", "=", task_id),
                    "|",
                    ("sent_at", ">=", since),
                    "&",
                    ("sent_at", "=", False),
                    ("done_at", ">=", since),
                ]
            )
        return self.browse()

    # ------------------------------------------------------------------
    # Statistics
    # ------------------------------------------------------------------

    @api.model
    def _email_statistics(self, group_field, ids):
        """The email counters and rates of the real tasks of ``ids`` (steps or
        flows, by ``group_field``), from one grouped query.

        Each task counts once per event, whatever the number of opens or
        clicks; rates are in percent of the sent emails (0 when none is).

        :return: ``{id: {field name: value}}`` (the keys of
            ``NO_EMAIL_STATISTICS``), zeros for any id without tasks
        """
        statistics = defaultdict(lambda: dict(NO_EMAIL_STATISTICS))
        # Every record of the steps or flows, as their counters: the lists
        # behind them show what the user may read (record mixin).
        for record, email_state, task_count, *event_counts in self.sudo()._read_group(
            [(group_field, "in", list(ids)), ("is_test", "=", False)],
            [group_field, "email_state"],
            ["__count"] + [f"{field}:count" for field in EMAIL_COUNTED_FIELDS],
        ):
            counts = statistics[record.id]
            if email_state == "failed":
                counts["email_failed_count"] += task_count
            for counter, count in zip(
                EMAIL_COUNTED_FIELDS.values(), event_counts, strict=True
            ):
                counts[counter] += count
        for counts in statistics.values():
            sent = counts["email_sent_count"]
            for rate, counter in EMAIL_RATES.items():
                counts[rate] = 100.0 * counts[counter] / sent if sent else 0.0
        return statistics

    # ------------------------------------------------------------------
    # Scheduler
    # ------------------------------------------------------------------

    def _get_param(self, name, default):
        # Engine tuning is read by whoever runs the engine; only
        # administrators may read system parameters directly.
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"automation_flow.{name}", default)
        )

    @api.model
    def _cron_process_due_tasks(self):
        self._process_due_tasks(
            time_budget=self._get_param("cron_time_budget", DEFAULT_TIME_BUDGET),
            commit=not is_testing(),
            send_mails=True,
        )

    @api.model
    def _process_due_tasks(self, time_budget=None, commit=False, send_mails=False):
        """Run due tasks batch after batch; return how many were taken.

        :param time_budget: seconds after which no new batch is started; the
            cron is then triggered again to go on
        :param commit: commit after each batch (the cron; never in tests)
        :param send_mails: send the mails of each batch once it is committed
            (the cron), instead of leaving them to Odoo's mail queue
        """
        started = time.monotonic()
        batch_size = self._get_param("batch_size", DEFAULT_BATCH_SIZE)
        # The children of the opens since the last run move first, as of
        # their opens: before the expiry, which would end a child waiting for
        # an open that came in time, and before the "not opened" children
        # are taken.
        self.env["automation.flow.deferred.move"]._move_children(batch_size, commit)
        # Wait-until tasks that time out get their "Timed out" children: before
        # the generic expiry, which ends waiting tasks with nothing after.
        self._end_waits(batch_size)
        self._expire_waiting_tasks()
        if send_mails:
            self._send_mails_left(batch_size, commit)
        due = self._count_due()
        if due > batch_size:
            # More than a batch is due: the other lanes take the batches this
            # one does not hold (SKIP LOCKED), on their own cron threads.
            self._wake_lanes(but=self.env.context.get("cron_id"))
        if commit:
            # Each acquisition starts a transaction (this one, or the one
            # after a batch's commit) that it may roll back.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        # Webhook calls a crash interrupted are made again, with their key.
        self._recover_interrupted_webhooks(commit)
        taken, postponed_ids = 0, []
        while True:
            try:
                tasks = self._acquire_due_tasks(batch_size, exclude_ids=postponed_ids)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if not commit:
                    raise
                # Another worker committed some of these tasks after this
                # transaction's snapshot: take them again with a new one.
                self.env.cr.rollback()
                continue
            if not tasks:
                break
            try:
                with self.env.cr.savepoint():
                    tasks.with_context(**{SCHEDULER_RUN: True})._execute()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                _logger.info(
                    "Tasks postponed, another worker holds their rows: %s", error
                )
                postponed_ids += tasks.ids
            taken += len(tasks)
            # Reported with the batch, in its transaction: a run killed later
            # still shows the work it did, and Odoo's cron runner does not
            # count it as a run that timed out having done nothing. What
            # remains is estimated from the tasks due at the start (counting
            # them per batch would scan them all per batch); the end of the
            # run reports the exact count.
            self.env["ir.cron"]._notify_progress(
                done=taken, remaining=max(due - taken, 0)
            )
            if commit:
                # The batch is whole (side effects are rows of this
                # transaction: queued mails, activities): commit it so that
                # a crash later neither loses nor repeats it.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            # The webhook tasks of the batch are running, committed: call.
            tasks._deliver_webhooks(commit)
            if send_mails:
                self._send_mails_of(tasks, commit)
            self.env.invalidate_all()
            if time_budget and time.monotonic() - started > time_budget:
                break
        try:
            with self.env.cr.savepoint():
                self.env["automation.flow.enrollment"]._close_finished()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # Another worker closes the same enrollments right now.
            _logger.info("Finished enrollments left to the other worker.")
        self._schedule_next_run(taken)
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        if taken and self.env.context.get("cron_id"):
            # Per lane (cron) counts, as several servers' logs show them.
            _logger.info(
                "Scheduler cron %s ran %s tasks in %.1f s",
                self.env.context["cron_id"],
                taken,
                time.monotonic() - started,
            )
        return taken

    def _send_mails_of(self, tasks, commit):
        """Send the mails these tasks queued, at the speed of the mail server
        (``mail.mail._automation_flow_send``) rather than at the mail
        queue's next run."""
        self.env.cr.execute(
            SQL(
                """SELECT mail_mail_id FROM automation_flow_task
                   WHERE id = ANY(%s) AND mail_mail_id IS NOT NULL
                     AND email_state = 'queued'""",
                tasks.ids,
            )
        )
        mail_ids = [row[0] for row in self.env.cr.fetchall()]
        if mail_ids:
            self.env["mail.mail"].sudo()._automation_flow_send(mail_ids, commit)

    def _send_mails_left(self, limit, commit):
        """Send flow mails that a run queued but did not send: its process
        was killed after the batch committed, or it did not send mails (a
        test run). Without this they would wait for Odoo's mail queue,
        hourly."""
        self.env.cr.execute(
            SQL(
                """SELECT mail.id FROM mail_mail mail
                   WHERE mail.state = 'outgoing' AND mail.create_date < %(before)s
                     AND (mail.scheduled_date IS NULL
                          OR mail.scheduled_date <= %(now)s)
                     AND EXISTS (SELECT FROM automation_flow_task task
                                 WHERE task.mail_mail_id = mail.id)
                   ORDER BY mail.id LIMIT %(limit)s""",
                before=fields.Datetime.now() - LEFT_MAILS_AFTER,
                now=fields.Datetime.now(),
                limit=limit,
            )
        )
        if mail_ids := [row[0] for row in self.env.cr.fetchall()]:
            _logger.info("Sending %s flow mails left by an earlier run", len(mail_ids))
            # The mails belong to the flows, whoever runs the scheduler.
            self.env["mail.mail"].sudo()._automation_flow_send(mail_ids, commit)

    def _wake_lanes(self, but=None):
        """Trigger the scheduler's lanes (``ir_cron.py``), but ``but``."""
        for lane in self.env["ir.cron"]._automation_flow_lanes(SCHEDULER_CRON):
            if lane.id != but:
                lane._trigger()

    def _acquire_due_tasks(self, limit, exclude_ids=()):
        """Lock and return up to ``limit`` due tasks nobody else is running
        (none of a paused enrollment)."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM automation_flow_task
                   WHERE state = %(scheduled)s AND scheduled_at <= %(now)s
                     AND NOT (id = ANY(%(exclude)s)) AND %(not_paused)s
                   ORDER BY scheduled_at, id
                   LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED""",
                scheduled=states.TASK_SCHEDULED,
                not_paused=self._not_paused_sql(),
                now=fields.Datetime.now(),
                exclude=list(exclude_ids),
                limit=limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _expire_waiting_tasks(self):
        """Expire the waiting tasks whose expiry passed, in one statement
        whatever their number; return how many expired. Only waiting tasks
        may expire (``states.TASK_TRANSITIONS``); those of a paused enrollment
        wait for it to be resumed, then expire if their time passed."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task
                   SET state = %(expired)s, done_at = %(now)s
                   WHERE state = %(waiting)s AND expires_at <= %(now)s
                     AND %(not_paused)s""",
                expired=states.TASK_EXPIRED,
                not_paused=self._not_paused_sql(),
                waiting=states.TASK_WAITING,
                now=now,
            )
        )
        self.invalidate_model(ENDED_FIELDS)
        return self.env.cr.rowcount

    def _count_due(self):
        """How many tasks are due now (an index range scan): those of paused
        enrollments are not, or the cron would call itself again and again."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FROM automation_flow_task
                   WHERE state = %(scheduled)s AND scheduled_at <= %(now)s
                     AND %(not_paused)s""",
                scheduled=states.TASK_SCHEDULED,
                not_paused=self._not_paused_sql(),
                now=fields.Datetime.now(),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _not_paused_sql(self, alias="automation_flow_task"):
        """SQL: the task (``alias``) is not of a paused enrollment. The
        scheduler takes none of those tasks and their waiting ones do not
        expire: a probe of the enrollment's primary key per task."""
        # The statement reads the enrollments' state: a pause not flushed yet
        # must hold their tasks too.
        self.env["automation.flow.enrollment"].flush_model(["state"])
        return SQL(
            """NOT EXISTS (SELECT FROM automation_flow_enrollment paused
                           WHERE paused.id = %s AND paused.state = %s)""",
            SQL.identifier(alias, "enrollment_id"),
            states.ENROLLMENT_PAUSED,
        )

    def _schedule_next_run(self, taken):
        """Tell the cron when to come back: now if work remains, else at the
        next due time (so that "5 minutes before" is not late by a cron
        interval)."""
        cron = self._scheduler_cron()
        remaining = self._count_due()
        self.env["ir.cron"]._notify_progress(done=taken, remaining=remaining)
        if remaining:
            self._wake_lanes()
            return
        self.env.cr.execute(
            SQL(
                """SELECT min(scheduled_at) FROM automation_flow_task
                   WHERE state = %(scheduled)s AND scheduled_at > %(now)s
                     AND %(not_paused)s""",
                scheduled=states.TASK_SCHEDULED,
                not_paused=self._not_paused_sql(),
                now=fields.Datetime.now(),
            )
        )
        next_due = self.env.cr.fetchone()[0]
        if next_due and next_due < cron.nextcall:
            cron._trigger(at=next_due)

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute(self):
        """Run a batch of due tasks, step by step.

        A step group that fails is replayed task by task, each in its own
        savepoint, so that only the guilty record ends in error.
        """
        for step, tasks in self._refuse_mismatched()._step_groups():
            try:
                with self.env.cr.savepoint():
                    tasks._execute_step_tasks(step)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except RetryableTaskError as error:
                tasks._retry_later(error)
            except Exception as error:
                if len(tasks) == 1:
                    tasks._record_error(error)
                    continue
                for task in tasks:
                    try:
                        with self.env.cr.savepoint():
                            task._execute_step_tasks(step)
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        raise
                    except RetryableTaskError as task_error:
                        task._retry_later(task_error)
                    except Exception as task_error:  # noqa: BLE001
                        task._record_error(task_error)

    def _step_groups(self):
        """``[(step, tasks)]``: the batch's tasks by step, in the order the
        steps run."""
        return list(self.grouped("step_id").items())

    def _record_error(self, error):
        _logger.info("Task %s failed: %r", self.ids, error)
        self._set_error(Reason.of_exception(error))

    def _execute_step_tasks(self, step):
        """Check what still holds, then run ``step`` for the tasks that pass."""
        flow = step.flow_id
        if flow.state not in states.FLOW_RUNNING and not all(self.mapped("is_test")):
            self._set_cancelled(Reason("flow_not_running"))
            return
        error = step._execution_error()
        if error:
            self._set_error(error)
            return
        tasks = self._drop_deleted_records()._leave_converted(flow)
        if step.date_field_id:
            tasks = tasks._check_anchor_dates(step)
        # Outside the send window or in a pause: held, not run (see
        # automation_flow_window.py).
        tasks = tasks._hold_for_window(step)
        tasks = tasks._check_domains(step)
        # Marketing emails: consent and the contact caps (see
        # automation_flow_pressure.py).
        tasks = tasks._keep_contact_policy(step)
        if not tasks:
            return
        results = step._execute(tasks)
        # The tasks the step left waiting (a wait-until not met yet) end later.
        tasks = tasks.filtered(lambda task: task.state == states.TASK_SCHEDULED)
        tasks._set_done(results)
        step._create_child_tasks(tasks)

    def _records(self):
        return self.env[self[:1].model].browse(self.mapped("res_id"))

    def _drop_deleted_records(self):
        """Cancel the enrollments of deleted records; return the other tasks.

        Deleting a record ends its enrollments at once (see
        ``automation_flow_record_hooks.py``); this catches records deleted
        without the ORM.
        """
        existing = set(self._records().exists().ids)
        gone = self.filtered(lambda task: task.res_id not in existing)
        if gone:
            self.env["automation.flow.enrollment"]._end_deleted_records(
                self[:1].model, gone.mapped("res_id")
            )
        return self - gone

    def _check_anchor_dates(self, step):
        """Reschedule tasks whose record's date moved later; skip those with
        no date, or whose date already passed for a step due before it."""
        now = fields.Datetime.now()
        anchors = step._anchor_dates(self.mapped("res_id"))
        before = step.date_direction == "before"
        ready = self.browse()
        date_field = field_label(step.model, step.date_field_id.name)
        for task in self:
            anchor = anchors.get(task.res_id)
            due = schedule.add_delay(anchor, step.delay, step.delay_unit, before)
            if due is None:
                task._set_skipped(Reason("no_date", field=date_field))
            elif before and schedule.as_datetime(anchor) <= now:
                task._set_skipped(Reason("date_passed", field=date_field))
            elif due > now and not self.env.context.get("automation_flow_run_now"):
                # A user's Run now does not wait for the date.
                task._set_scheduled(due)
            else:
                ready |= task
        return ready

    def _check_domains(self, step):
        """Records that left the flow's domain exit it; records that do not match
        the step's domain skip the step. One search per domain for the batch."""
        # The flow decides who takes part, within what its responsible may
        # read: not the record rules of the user running the scheduler.
        Model = step.flow_id._responsible_model()
        res_ids = self.mapped("res_id")
        flow_domain = step.flow_id._get_records_domain()
        in_flow = set(Model.search([("id", "in", res_ids)] + flow_domain).ids)
        left = self.filtered(lambda task: task.res_id not in in_flow)
        if left:
            reason = Reason("left_flow_domain")
            left._set_skipped(reason)
            left.enrollment_id.filtered(
                lambda e: e.state in states.ENROLLMENT_ACTIVE
            )._set_state(states.ENROLLMENT_EXITED, reason)
        tasks = self - left
        if tasks and step.domain not in (False, "", "[]"):
            in_step = set(
                Model.search(
                    [("id", "in", tasks.mapped("res_id"))] + step._get_domain()
                ).ids
            )
            skipped = tasks.filtered(lambda task: task.res_id not in in_step)
            skipped._set_skipped(Reason("step_domain"))
            tasks -= skipped
        return tasks

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_retry(self):
        """Schedule failed tasks again, now."""
        # Users who can read these tasks (automation users of their company)
        # may retry them; the task must still be one the engine would run.
        self.check_access("read")
        if self.filtered(lambda task: task.state != states.TASK_ERROR):
            raise UserError(_("Only tasks in error can be retried."))
        for reason, _tasks in self._mismatches():
            raise UserError(
                _(
                    "This task cannot be retried: %(reason)s",
                    reason=render(self.env, reason.code, reason.params),
                )
            )
        stopped = self.filtered(
            lambda task: (
                not task.is_test and task.flow_id.state not in states.FLOW_RUNNING
            )
        ).flow_id
        if stopped:
            raise UserError(
                _(
                    "The flow %s is not running: its tasks cannot be retried.",
                    stopped[0].name,
                )
            )
        # Tasks are the engine's rows, written by nobody else: the checks
        # above are what the user may do with them.
        tasks = self.sudo()
        # An email that could not be sent had its next steps cancelled; they
        # never ran, and the retried email creates them again when it is
        # queued: replace them rather than count every contact twice.
        tasks.child_ids.filtered(
            lambda child: child.state == states.TASK_CANCELLED
        ).unlink()
        tasks._set_scheduled(fields.Datetime.now())
        self.flow_id._trigger_cron("automation_flow.cron_process_due_tasks")
        return True

    def action_open_record(self):
        self.ensure_one()
        return self.enrollment_id.action_open_record()
