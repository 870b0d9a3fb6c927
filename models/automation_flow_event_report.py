# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models, tools
from odoo.tools import SQL


class AutomationFlowEventReport(models.Model):
    """What people did with the tasks of flows (emails, activities…), per day.

    How it works: a SQL view with one row per flow, step, event and day the
    event happened, counting the real (not test) tasks stamped with it; each
    task counts once per event (its first open, its first click…). The graph
    draws it per day and by event; per task state, see
    ``automation.flow.task.report``. The events and their columns are those of
    the step catalogue (``step._get_step_types``).
    """

    _name = "automation.flow.event.report"
    _description = "Automation Flow Events"
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
    event = fields.Selection(selection="_selection_event", readonly=True)
    date = fields.Date("Day", readonly=True)
    event_count = fields.Integer("Events", readonly=True)

    def _selection_event(self):
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        return [(event.key, event.label) for event in catalogue.events.values()]

    def _selection_step_type(self):
        return self.env["automation.flow.task.report"]._selection_step_type()

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
        # The tasks' event columns side by side, turned into rows: one
        # (event, time) per stamped column.
        catalogue = self.env["automation.flow.step"]._step_catalogue()
        events = SQL(", ").join(
            SQL("(%s, %s)", event.key, SQL.identifier("task", event.field))
            for event in catalogue.events.values()
        )
        return SQL(
            """SELECT row_number() OVER () AS id, *
               FROM (
                   SELECT task.flow_id, task.step_id, step.step_type, task.model,
                          task.company_id, event.name AS event,
                          event.at::date AS date, count(*) AS event_count
                   FROM automation_flow_task task
                   JOIN automation_flow_step step ON step.id = task.step_id
                   CROSS JOIN LATERAL (VALUES %s) AS event(name, at)
                   WHERE task.is_test IS NOT TRUE AND event.at IS NOT NULL
                   GROUP BY task.flow_id, task.step_id, step.step_type, task.model,
                            task.company_id, event.name, event.at::date
               ) events""",
            events,
        )
