# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..models.automation_flow_step_approval import APPROVED, REJECTED


class AutomationFlowApprovalDecide(models.TransientModel):
    """The approver's decision, with an optional comment, from the approval
    form the activity links to."""

    _name = "automation.flow.approval.decide"
    _description = "Approve or Reject an Automation Flow Request"

    approval_id = fields.Many2one(
        "automation.flow.approval", required=True, ondelete="cascade"
    )
    record_name = fields.Char(related="approval_id.record_name")
    decision = fields.Selection(
        [(APPROVED, "Approve"), (REJECTED, "Reject")], required=True
    )
    comment = fields.Text(help="Shown on the record's chatter and in its journey.")

    def action_confirm(self):
        self.ensure_one()
        approval = self.approval_id
        approval._check_decider()
        # Approval rows are the engine's: the approver decides their own
        # pending row, checked just above.
        approval.sudo()._decide(self.decision, self.comment)
        return {"type": "ir.actions.act_window_close"}
