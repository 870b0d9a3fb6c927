# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    automation_flow_day_cap = fields.Integer(
        related="company_id.automation_flow_day_cap", readonly=False
    )
    automation_flow_week_cap = fields.Integer(
        related="company_id.automation_flow_week_cap", readonly=False
    )
    automation_flow_max_deferral = fields.Integer(
        related="company_id.automation_flow_max_deferral", readonly=False
    )
