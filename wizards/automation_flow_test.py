# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import states


class AutomationFlowTest(models.TransientModel):
    """Send one chosen record through a flow, step by step.

    The record is enrolled in test mode (even in a draft flow, beside its real
    enrollment if any): its tasks are marked as tests and left out of the
    statistics. The steps really run: emails are sent, activities created.
    """

    _name = "automation.flow.test"
    _description = "Test an Automation Flow With a Record"

    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    model = fields.Char(related="flow_id.model")
    res_id = fields.Many2oneReference(
        "Record", model_field="model", help="The record that goes through the flow."
    )
    enrollment_id = fields.Many2one(
        "automation.flow.enrollment", readonly=True, ondelete="cascade"
    )
    enrollment_state = fields.Selection(related="enrollment_id.state")
    task_ids = fields.One2many(related="enrollment_id.task_ids")

    @api.onchange("res_id")
    def _onchange_res_id(self):
        self.enrollment_id = False

    def action_enroll(self):
        self.ensure_one()
        # Testing runs the flow's steps: only who may configure the flow.
        self.flow_id.check_access("write")
        if not self.res_id:
            raise UserError(_("Choose the record to test the flow with."))
        # The test shows the record's journey: only a record the tester may
        # read (the flow enrolls with its responsible's rights).
        self.env[self.model].browse(self.res_id).check_access("read")
        enrollment = self.flow_id._enroll([self.res_id], is_test=True)
        if not enrollment:
            raise UserError(
                _(
                    "This record does not enter the flow %(flow)s: it does not "
                    "match the flow's domain or its company, or its "
                    "%(unique_field)s is empty.",
                    flow=self.flow_id.name,
                    unique_field=self.flow_id.unique_field_id.field_description
                    or _("uniqueness value"),
                )
            )
        self.enrollment_id = enrollment
        return self._reopen()

    def action_run_next(self):
        """Run the steps due now, or else the next scheduled one at once."""
        self.ensure_one()
        self.flow_id.check_access("write")
        enrollment = self.enrollment_id
        if enrollment.flow_id != self.flow_id or not enrollment.is_test:
            raise UserError(
                _(
                    "Only a test enrollment in the flow %s can be run step by "
                    "step: enroll a record with this wizard first.",
                    self.flow_id.name,
                )
            )
        # Tasks are the engine's rows: the test runs them as the scheduler
        # does, once the checks above said the user may test this flow.
        tasks = enrollment.task_ids.sudo()
        scheduled = tasks.filtered(lambda t: t.state == states.TASK_SCHEDULED)
        if not scheduled:
            raise UserError(
                _(
                    "No step is scheduled: the record waits for an event (an "
                    "email opened, an activity done…) or went through the flow."
                )
            )
        now = fields.Datetime.now()
        due = scheduled.filtered(lambda t: t.scheduled_at <= now)
        if not due:
            due = scheduled.sorted(lambda t: (t.scheduled_at, t.id))[:1]
            due._set_scheduled(now)
        due._execute()
        self.env["automation.flow.enrollment"]._close_finished()
        self.invalidate_recordset(["task_ids", "enrollment_state"])
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Test %s", self.flow_id.name),
        }
