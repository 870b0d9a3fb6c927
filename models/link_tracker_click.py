# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LinkTrackerClick(models.Model):
    _inherit = "link.tracker.click"

    # Filled by the click route from the task signed in the link (see
    # ``add_click``, which takes route values named after fields).
    automation_flow_task_id = fields.Many2one(
        "automation.flow.task",
        string="Automation flow task",
        ondelete="set null",
        index="btree_not_null",
    )
