# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class AutomationFlowFilter(models.Model):
    """A named domain of a model, reusable by several flows."""

    _name = "automation.flow.filter"
    _description = "Automation Flow Saved Filter"
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
            try:
                self.env[saved_filter.model_id.model]._where_calc(
                    safe_eval(saved_filter.domain or "[]")
                )
            except Exception as error:
                raise ValidationError(
                    _(
                        "The domain of the filter %(filter)s is not valid for "
                        "%(model)s: %(error)s",
                        filter=saved_filter.name,
                        model=saved_filter.model_id.name,
                        error=error,
                    )
                ) from error
