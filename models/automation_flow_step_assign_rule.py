# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AutomationFlowStepAssignRule(models.Model):
    """A line of an assign step "by rules": the records matching its domain
    go to its user, unless an earlier line took them."""

    _name = "automation.flow.step.assign.rule"
    _description = "Automation Flow Assignment Rule"
    _inherit = ["automation.flow.domain.mixin"]
    _order = "sequence, id"

    step_id = fields.Many2one(
        "automation.flow.step", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    model = fields.Char(related="step_id.model")
    sequence = fields.Integer(default=10)
    domain = fields.Char(
        "Records",
        default="[]",
        required=True,
        help="The records this rule assigns. Empty: every record left.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assign to",
        required=True,
        ondelete="restrict",
        domain="[('share', '=', False)]",
    )

    @api.constrains("domain", "step_id")
    def _check_domain(self):
        for rule in self:
            rule._get_domain()

    def _get_domain(self):
        """The rule's domain, evaluated now as the flow's domains are."""
        self.ensure_one()
        return self._eval_domain(
            self.domain, self.step_id.model, self.step_id.flow_id.user_id
        )

    def _domain_error(self, reason):
        return _(
            "The rule for %(user)s of the step %(step)s cannot be used: %(reason)s",
            user=self.user_id.name,
            step=self.step_id.name,
            reason=reason,
        )

    @api.constrains("user_id")
    def _check_user(self):
        for rule in self.filtered("user_id.share"):
            raise ValidationError(
                _(
                    "Only internal users can be assigned: choose another user "
                    "than %(user)s in the rules of the step %(step)s.",
                    user=rule.user_id.name,
                    step=rule.step_id.name,
                )
            )
