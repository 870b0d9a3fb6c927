# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import re

from odoo import api, fields, models


class AutomationFlowExport(models.TransientModel):
    """A JSON file of flows to download (see ``automation.flow.transfer``).

    Automation Users may export: the file holds what they can already read
    in the flow's form (its steps, domains, templates), and it writes
    nothing.
    """

    _name = "automation.flow.export"
    _description = "Export Automation Flows"

    flow_ids = fields.Many2many("automation.flow", string="Flows", required=True)
    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        Transfer = self.env["automation.flow.transfer"]
        for wizard in wizards:
            content = Transfer._export_json(wizard.flow_ids)
            name = wizard.flow_ids[:1].name if len(wizard.flow_ids) == 1 else "flows"
            wizard.write(
                {
                    "file": base64.b64encode(content.encode()),
                    "filename": "%s.json" % (re.sub(r"[^\w-]+", "_", name).strip("_")),
                }
            )
        return wizards
