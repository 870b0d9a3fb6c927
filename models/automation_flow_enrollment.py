# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import states
from ..reasons import Reason, reason_sql, reason_values, render, search_reason
from .automation_flow_task import ENDED_FIELDS

# What ending an enrollment in SQL changes, to invalidate.
EXIT_FIELDS = [
    "state",
    "date_done",
    "reason_code",
    "reason_params",
    "exit_reason",
]
ENROLLMENT_STATES = [
    (states.ENROLLMENT_RUNNING, "Running"),
    (states.ENROLLMENT_DONE, "Done"),
    (states.ENROLLMENT_EXITED, "Exited"),
    (states.ENROLLMENT_CANCELLED, "Cancelled"),
    (states.ENROLLMENT_CONVERTED, "Converted"),
    (states.ENROLLMENT_PAUSED, "Paused"),
]


class AutomationFlowEnrollment(models.Model):
    """One record taking part in one flow.

    Rows are inserted in bulk by ``automation.flow._enroll``; the partial unique
    indexes created in ``init`` make a record (or a uniqueness value) run one
    journey at a time in a flow, and enter it once ever under the "once ever"
    policy, however many workers enroll at the same time.
    """

    _name = "automation.flow.enrollment"
    _inherit = ["automation.flow.record.mixin"]
    _description = "Automation Flow Enrollment"
    _order = "id desc"
    _rec_name = "record_name"
    # No create_uid / create_date / write_uid / write_date: two foreign keys
    # checked per record enrolled, for who ran the engine and dates that
    # ``date_start`` and ``date_done`` tell.
    _log_access = False

    # Indexed with res_id (see init): enrolling probes (flow, record) pairs.
    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    # model, res_id, record_name, company_id: automation.flow.record.mixin
    unique_key = fields.Char("Uniqueness value", readonly=True)
    state = fields.Selection(
        ENROLLMENT_STATES,
        default=states.ENROLLMENT_RUNNING,
        required=True,
        readonly=True,
    )
    is_test = fields.Boolean(
        "Test",
        readonly=True,
        default=False,
        help="Test enrollments are kept apart from statistics.",
    )
    once_only = fields.Boolean(
        "Once ever",
        readonly=True,
        default=True,
        help="Enrolled under the 'once ever' policy: the record never goes "
        "through this flow again.",
    )
    date_start = fields.Datetime("Enrolled on", readonly=True)
    date_done = fields.Datetime("Ended on", readonly=True)
    # Why the enrollment ended, shown in the reader's language (reasons.py).
    reason_code = fields.Char("Reason code", readonly=True)
    reason_params = fields.Json("Reason parameters", readonly=True)
    exit_reason = fields.Char(
        compute="_compute_exit_reason", search="_search_exit_reason"
    )
    task_ids = fields.One2many("automation.flow.task", "enrollment_id", string="Tasks")

    def init(self):
        self._drop_older_schema()
        cr = self.env.cr
        # A record (or a uniqueness value) takes part in a flow once per
        # journey under way, whatever the flow's re-enrollment policy; and
        # once ever when it entered under the "once ever" policy. Partial
        # unique indexes, so that two workers enrolling at once cannot break
        # either (``ON CONFLICT DO NOTHING`` of ``flow._insert_enrollments``).
        # The active states are in the name: an index of other states is
        # replaced when they change.
        active = "_".join(states.ENROLLMENT_ACTIVE)
        cr.execute(
            SQL(
                """SELECT indexname FROM pg_indexes
                   WHERE tablename = 'automation_flow_enrollment'
                     AND (indexname IN %(before)s OR indexname ~ %(active)s)
                     AND indexname NOT IN %(current)s""",
                # Unique on (flow, record) in every state, before re-enrollment.
                before=(
                    "automation_flow_enrollment_record_uniq",
                    "automation_flow_enrollment_key_uniq",
                ),
                active="^automation_flow_enrollment_(key_)?running(_[a-z]+)*_uniq$",
                current=(
                    f"automation_flow_enrollment_{active}_uniq",
                    f"automation_flow_enrollment_key_{active}_uniq",
                ),
            )
        )
        for (name,) in cr.fetchall():
            cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        for name, column, where in (
            ("once", "res_id", SQL("once_only")),
            ("key_once", "unique_key", SQL("once_only AND unique_key IS NOT NULL")),
            (active, "res_id", SQL("state IN %s", states.ENROLLMENT_ACTIVE)),
            (
                f"key_{active}",
                "unique_key",
                SQL(
                    "state IN %s AND unique_key IS NOT NULL",
                    states.ENROLLMENT_ACTIVE,
                ),
            ),
        ):
            cr.execute(
                SQL(
                    """CREATE UNIQUE INDEX IF NOT EXISTS %s
                       ON automation_flow_enrollment (flow_id, %s)
                       WHERE is_test IS NOT TRUE AND %s""",
                    SQL.identifier(f"automation_flow_enrollment_{name}_uniq"),
                    SQL.identifier(column),
                    where,
                )
            )
        # Serves every lookup by flow, and the "not enrolled yet" probe of
        # enrollment by (flow, record) even when the planner's statistics lag
        # behind a table that grows by thousands of rows per batch (a lookup
        # by flow alone then made enrolling quadratic).
        cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_enrollment_flow_record_idx
               ON automation_flow_enrollment (flow_id, res_id)"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_enrollment_running_idx
               ON automation_flow_enrollment (id) WHERE state = 'running'"""
        )
        # The scheduler leaves out the tasks of paused enrollments
        # (``task._not_paused_sql``) for each batch it takes: without an
        # index, PostgreSQL read the whole table for it (13 ms per batch at
        # 100,000 enrollments). Few are paused: the index is small.
        cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS automation_flow_enrollment_paused_idx
                   ON automation_flow_enrollment (id) WHERE state = %s""",
                states.ENROLLMENT_PAUSED,
            )
        )

    @api.constrains("flow_id", "company_id", "model")
    def _check_flow(self):
        # The engine inserts enrollments with their flow's company and model;
        # any other row would run the flow's steps for another company.
        for enrollment in self:
            flow = enrollment.flow_id
            if (
                enrollment.company_id != flow.company_id
                or enrollment.model != flow.model
            ):
                raise ValidationError(
                    _(
                        "An enrollment in the flow %(flow)s must be of its company "
                        "%(company)s and of its model %(model)s.",
                        flow=flow.name,
                        company=flow.company_id.name,
                        model=flow.model_id.name,
                    )
                )

    @api.depends("reason_code", "reason_params")
    @api.depends_context("lang")
    def _compute_exit_reason(self):
        for enrollment in self:
            enrollment.exit_reason = render(
                self.env, enrollment.reason_code, enrollment.reason_params
            )

    def _search_exit_reason(self, operator, value):
        return search_reason(self, operator, value)

    def _set_state(self, state, reason=None):
        """Leave the flow: end the enrollments and cancel their pending tasks
        (with the same reason).

        :param reason: a ``Reason``, free text or nothing (see ``reasons.py``)
        """
        vals = {"state": state, "date_done": fields.Datetime.now()}
        if reason:
            vals.update(reason_values(reason))
        self.write(vals)
        if state != states.ENROLLMENT_DONE:
            self.env["automation.flow.task"]._cancel_pending(
                "enrollment_id", self.ids, reason
            )

    @api.model
    def _cancel_running(self, flow_ids, reason):
        """Cancel the running and paused enrollments of ``flow_ids`` in one
        statement, whatever their number (their tasks:
        ``task._cancel_pending``)."""
        self.flush_model()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_enrollment
                   SET state = %(cancelled)s, date_done = %(now)s, %(reason)s
                   WHERE flow_id = ANY(%(flow_ids)s) AND state IN %(active)s""",
                cancelled=states.ENROLLMENT_CANCELLED,
                now=now,
                reason=reason_sql(reason),
                flow_ids=list(flow_ids),
                active=states.ENROLLMENT_ACTIVE,
            )
        )
        self.invalidate_model(EXIT_FIELDS)

    @api.model
    def _end_deleted_records(self, model, res_ids):
        """End the running and paused enrollments of these deleted records of
        ``model`` in every flow and cancel their pending tasks, in one
        statement.

        Called at the deletion (see ``automation_flow_record_hooks.py``), so
        that a record whose tasks only wait for an event does not stay
        running for ever.
        """
        if not res_ids:
            return
        Task = self.env["automation.flow.task"]
        self.flush_model()
        Task.flush_model()
        reason = reason_sql(Reason("record_deleted"))
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """WITH deleted AS (
                       SELECT enrollment.id, enrollment.state
                       FROM automation_flow_enrollment enrollment
                       JOIN automation_flow flow ON flow.id = enrollment.flow_id
                       WHERE flow.model = %(model)s
                         AND enrollment.res_id = ANY(%(res_ids)s)
                   ), ended AS (
                       UPDATE automation_flow_enrollment enrollment
                       SET state = %(cancelled)s, date_done = %(now)s, %(reason)s
                       FROM deleted
                       WHERE enrollment.id = deleted.id
                         AND deleted.state IN %(active)s)
                   UPDATE automation_flow_task task
                   SET state = %(task_cancelled)s, done_at = %(now)s, %(reason)s
                   FROM deleted
                   WHERE task.enrollment_id = deleted.id
                     AND task.state IN %(cancellable)s""",
                cancelled=states.ENROLLMENT_CANCELLED,
                reason=reason,
                model=model,
                res_ids=list(res_ids),
                active=states.ENROLLMENT_ACTIVE,
                task_cancelled=states.TASK_CANCELLED,
                # Keeps to the task transitions (engine/states.py).
                cancellable=states.sources_of(states.TASK_CANCELLED),
                now=now,
            )
        )
        self.invalidate_model(EXIT_FIELDS)
        Task.invalidate_model(ENDED_FIELDS)

    @api.model
    def _close_finished(self):
        """Mark done the running and paused enrollments that have no pending
        task left (a paused one has nothing left to resume).

        One statement for the whole table: done at the end of a scheduler run
        rather than per batch, because tasks of one enrollment are executed by
        several workers at once and none of them sees the whole picture.
        """
        self.env["automation.flow.task"].flush_model()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_enrollment enrollment
                   SET state = %(done)s, date_done = %(now)s
                   WHERE enrollment.state IN %(active)s
                     AND NOT EXISTS (
                         SELECT FROM automation_flow_task task
                         WHERE task.enrollment_id = enrollment.id
                           AND task.state IN %(pending)s)""",
                done=states.ENROLLMENT_DONE,
                active=states.ENROLLMENT_ACTIVE,
                pending=states.TASK_UNFINISHED,
                now=fields.Datetime.now(),
            )
        )
        self.invalidate_model(["state", "date_done"])

    @api.model
    def get_journeys(self, model, res_id):
        """The journey panel of a record: the flows it is in, what comes next
        and the tasks done with their outcome (error, email state, and each
        event with the first time it happened: sent, opened… activity done),
        newest enrollment first.

        :return: a list of dicts, dates as UTC strings
        """
        # Journeys show what the record went through: whoever cannot read the
        # record cannot read its journeys either.
        self.env[model].browse(res_id).check_access("read")
        enrollments = self.search([("model", "=", model), ("res_id", "=", res_id)])
        enrollment_states = dict(self._fields["state"]._description_selection(self.env))
        Task = self.env["automation.flow.task"]
        task_states = dict(Task._fields["state"]._description_selection(self.env))
        events = self.env["automation.flow.step"]._step_catalogue().events.values()
        journeys = []
        for enrollment in enrollments:
            tasks = enrollment.task_ids.sorted(
                lambda t: (t.done_at or t.create_date, t.id)
            )
            pending = tasks.filtered(lambda t: t.state in states.TASK_PENDING).sorted(
                lambda t: (not t.scheduled_at, t.scheduled_at or t.create_date, t.id)
            )
            journeys.append(
                {
                    "id": enrollment.id,
                    "flow_id": enrollment.flow_id.id,
                    "flow": enrollment.flow_id.name,
                    "state": enrollment.state,
                    "state_label": enrollment_states[enrollment.state],
                    "is_test": enrollment.is_test,
                    "date_start": fields.Datetime.to_string(enrollment.date_start),
                    "date_done": fields.Datetime.to_string(enrollment.date_done),
                    "exit_reason": enrollment.exit_reason or "",
                    "next": [
                        {
                            "id": task.id,
                            "step": task.step_id.name,
                            "type_icon": task.step_id.type_icon,
                            "state": task.state,
                            "at": fields.Datetime.to_string(task.scheduled_at),
                            "schedule": task.step_id.schedule_description,
                            # Why it waits (send window, pause…), if it does.
                            "reason": task.error_message or "",
                        }
                        for task in pending
                    ],
                    "tasks": [
                        {
                            "id": task.id,
                            "step": task.step_id.name,
                            "type_icon": task.step_id.type_icon,
                            "state": task.state,
                            "state_label": task_states[task.state],
                            "date": fields.Datetime.to_string(task.done_at),
                            "outcome": task.error_message or "",
                            "email_state": task.email_state or "",
                            "events": [
                                {
                                    "event": event.key,
                                    "icon": event.icon,
                                    "at": fields.Datetime.to_string(task[event.field]),
                                }
                                for event in events
                                if task[event.field]
                            ],
                        }
                        for task in tasks - pending
                    ],
                }
            )
        return journeys

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
