# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    automation_flow_day_cap = fields.Integer(
        "Marketing emails per person per day",
        default=0,
        help="At most this many emails of marketing flows per address and per "
        "day, all flows together (0: no cap).",
    )
    automation_flow_week_cap = fields.Integer(
        "Marketing emails per person per week",
        default=0,
        help="At most this many emails of marketing flows per address from "
        "Monday to Sunday, all flows together (0: no cap).",
    )
    automation_flow_max_deferral = fields.Integer(
        "Maximum deferral (days)",
        default=7,
        help="An email held back by the caps longer than this is skipped "
        "(0: skipped at once).",
    )

    _sql_constraints = [
        (
            "automation_flow_caps_positive",
            "CHECK(automation_flow_day_cap >= 0 AND automation_flow_week_cap >= 0 "
            "AND automation_flow_max_deferral >= 0)",
            "The contact caps and the maximum deferral cannot be negative.",
        )
    ]
