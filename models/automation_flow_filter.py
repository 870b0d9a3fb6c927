# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models


class AutomationFlowFilter(models.Model):
    """A named domain of a model, reusable by several flows."""

    _name = "automation.flow.filter"
    _description = "Automation Flow Saved Filter"
    _inherit = ["automation.flow.domain.mixin"]
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    # Required: a filter decides who enters the flows using it, so only the
    # managers of its company may change it.
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    model_id = fields.Many2one(
        "ir.model",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
    )
    model = fields.Char(related="model_id.model", string="Model name")
    domain = fields.Char(default="[]", required=True)
    flow_ids = fields.One2many("automation.flow", "filter_id", string="Flows")

    def write(self, vals):
        result = super().write(vals)
        if "company_id" in vals:
            # Record rules checked the filters where they were: check where
            # they go, so that nobody moves a filter into another's company.
            self.check_access("write")
        return result

    @api.constrains("model_id", "domain")
    def _check_domain(self):
        for saved_filter in self:
            saved_filter._check_model_readable(saved_filter.model_id)
            saved_filter._eval_domain(saved_filter.domain, saved_filter.model)

    def _domain_error(self, reason):
        return _(
            "The domain of the saved filter %(filter)s cannot be used: %(reason)s",
            filter=self.name,
            reason=reason,
        )
