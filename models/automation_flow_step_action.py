# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.triggers import StepType

# Code that names `record` but never `records` works on one record at a time.
SINGLE_RECORD_CODE = re.compile(r"\brecord\b")
MULTI_RECORD_CODE = re.compile(r"\brecords\b")


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("action", "Run a server action")],
        ondelete={"action": "cascade"},
    )
    server_action_id = fields.Many2one(
        "ir.actions.server",
        string="Server action",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
    )

    @api.model
    def _get_step_types(self):
        """An action has no event: only "after the previous step" follows it."""
        return {**super()._get_step_types(), "action": StepType(icon="fa-cogs")}

    def _designer_summary(self):
        if self.step_type != "action":
            return super()._designer_summary()
        return _("Run %s", self.server_action_id.name or "")

    @api.constrains("step_type", "server_action_id", "flow_id")
    def _check_server_action(self):
        for step in self.filtered(lambda s: s.step_type == "action"):
            if not step.server_action_id:
                raise ValidationError(
                    _("Choose the server action the step %s runs.", step.name)
                )
            if step.server_action_id.model_id != step.model_id:
                step._raise_wrong_model(_("server action"), step.server_action_id)

    def _execute_action(self, tasks):
        """Run the action once on the batch's records (``records`` in code).

        Python code that only knows ``record`` is run once per record, which is
        about fifteen times slower: write ``records`` to get the batch.
        """
        self.ensure_one()
        # The action was chosen by a flow manager; it runs for the flow, not
        # with the rights of the user running the scheduler.
        action = self.server_action_id.sudo()
        res_ids = list(dict.fromkeys(tasks.mapped("res_id")))
        context = {"active_model": self.model}
        if self._action_needs_single_record():
            for res_id in res_ids:
                action.with_context(
                    context, active_ids=[res_id], active_id=res_id
                ).run()
        else:
            action.with_context(context, active_ids=res_ids, active_id=res_ids[0]).run()

    def _action_needs_single_record(self):
        # The code of server actions is readable by administrators only.
        action = self.server_action_id.sudo()
        code = action.code or ""
        return (
            action.state == "code"
            and bool(SINGLE_RECORD_CODE.search(code))
            and not MULTI_RECORD_CODE.search(code)
        )
