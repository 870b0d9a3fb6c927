# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import binascii

from odoo import _, fields, models
from odoo.exceptions import UserError


class AutomationFlowImport(models.TransientModel):
    """Create flows from a file exported by ``automation.flow.export``, then
    say what was created and what could not be found."""

    _name = "automation.flow.import"
    _description = "Import Automation Flows"

    file = fields.Binary(attachment=False)
    filename = fields.Char()
    state = fields.Selection(
        [("upload", "Upload"), ("done", "Done")], default="upload", required=True
    )
    report = fields.Html(readonly=True, sanitize=False)
    flow_ids = fields.Many2many("automation.flow", string="Imported flows")

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(_("Choose the file of flows to import."))
        try:
            content = base64.b64decode(self.file, validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(_("The uploaded file could not be read.")) from error
        Transfer = self.env["automation.flow.transfer"]
        flows, report = Transfer._import_json(content)
        self.write(
            {
                "state": "done",
                "flow_ids": [fields.Command.set(flows.ids)],
                "report": Transfer._report_html(report),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Import flows"),
        }

    def action_open_flows(self):
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "res_model": "automation.flow",
            "name": _("Imported flows"),
        }
        if len(self.flow_ids) == 1:
            return {**action, "res_id": self.flow_ids.id, "view_mode": "form"}
        return {
            **action,
            "view_mode": "list,form",
            "domain": [("id", "in", self.flow_ids.ids)],
        }
