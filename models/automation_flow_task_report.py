# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..engine import states
from .automation_flow_task import TASK_STATES


class AutomationFlowTaskReport(models.Model):
    """Statistics of tasks per flow, step, state and day, for graph and pivot.

    How it works: a SQL view counting the real (not test) tasks, grouped by
    flow, step, state and the day the task got its state (ended, else due,
    else created). The request is built from ``_report_get_request_*`` parts so
    that other modules add columns by extending a part.

    The events of the tasks (``_report_get_request_select_events``) count on
    the task's day: "of the emails sent that day, how many were opened". Each
    event of the step catalogue is a column ``<event>_count`` counting the
    tasks stamped with it, once whatever the number of opens or clicks; the
    type file that declares the event declares the report's field. The events
    on the day they happened are in ``automation.flow.event.report``.
    """

    _name = "automation.flow.task.report"
    _description = "Automation Flow Statistics"
    _auto = False
    _order = "date desc, flow_id, step_id"
    _rec_name = "step_id"

    flow_id = fields.Many2one("automation.flow", readonly=True)
    step_id = fields.Many2one("automation.flow.step", readonly=True)
    step_type = fields.Selection(
        selection="_selection_step_type", string="Step type", readonly=True
    )
    model = fields.Char(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    state = fields.Selection(TASK_STATES, readonly=True)
    outcome = fields.Char(
        readonly=True,
        help="The branch a decision step took (yes, no, a, b…): group by it to "
        "compare the branches.",
    )
    date = fields.Date("Day", readonly=True)
    task_count = fields.Integer("Tasks", readonly=True)
    scheduled_count = fields.Integer("Scheduled", readonly=True)
    running_count = fields.Integer("Running", readonly=True)
    waiting_count = fields.Integer("Waiting", readonly=True)
    done_count = fields.Integer("Done", readonly=True)
    skipped_count = fields.Integer("Skipped", readonly=True)
    expired_count = fields.Integer("Expired", readonly=True)
    cancelled_count = fields.Integer("Cancelled", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)

    @api.model
    def _selection_step_type(self):
        return (
            self.env["automation.flow.step"]
            ._fields["step_type"]
            ._description_selection(self.env)
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._report_get_request(),
            )
        )

    def _report_get_request(self):
        return SQL(
            "SELECT %s FROM %s WHERE %s GROUP BY %s",
            SQL(", ").join(
                self._report_get_request_select_items()
                + self._report_get_request_select_events()
            ),
            SQL(" ").join(self._report_get_request_from_items()),
            SQL(" AND ").join(self._report_get_request_where_items()),
            SQL(", ").join(self._report_get_request_group_by_items()),
        )

    def _report_get_request_select_items(self):
        return [
            SQL("min(task.id) AS id"),
            SQL("task.flow_id"),
            SQL("task.step_id"),
            SQL("step.step_type"),
            SQL("task.model"),
            SQL("task.company_id"),
            SQL("task.state"),
            SQL("task.outcome"),
            SQL("%s AS date", self._report_get_request_date()),
            SQL("count(*) AS task_count"),
            *(
                SQL(
                    "count(*) FILTER (WHERE task.state = %s) AS %s",
                    state,
                    SQL.identifier(f"{state}_count"),
                )
                for state in states.TASK_COUNTED
            ),
        ]

    def _report_get_request_select_events(self):
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        return [
            SQL(
                "count(%s) AS %s",
                SQL.identifier("task", event.field),
                SQL.identifier(f"{event.key}_count"),
            )
            for event in catalogue.events.values()
        ]

    def _report_get_request_date(self):
        """The day a task counts on: when it ended, else when it is due, else
        when it was created (waiting for an event)."""
        return SQL("COALESCE(task.done_at, task.scheduled_at, task.create_date)::date")

    def _report_get_request_from_items(self):
        return [
            SQL("automation_flow_task task"),
            SQL("JOIN automation_flow_step step ON step.id = task.step_id"),
        ]

    def _report_get_request_where_items(self):
        # Test enrollments are kept apart from statistics.
        return [SQL("task.is_test IS NOT TRUE")]

    def _report_get_request_group_by_items(self):
        return [
            SQL("task.flow_id"),
            SQL("task.step_id"),
            SQL("step.step_type"),
            SQL("task.model"),
            SQL("task.company_id"),
            SQL("task.state"),
            SQL("task.outcome"),
            self._report_get_request_date(),
        ]
