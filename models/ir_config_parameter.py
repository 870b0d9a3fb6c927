# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from .ir_cron import LANES_PARAM


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model_create_multi
    def create(self, vals_list):
        params = super().create(vals_list)
        params._sync_automation_flow_lanes()
        return params

    def write(self, vals):
        result = super().write(vals)
        self._sync_automation_flow_lanes()
        return result

    def unlink(self):
        lanes = self.filtered(lambda param: param.key == LANES_PARAM)
        result = super().unlink()
        if lanes:
            self.env["ir.cron"]._automation_flow_sync_lanes(1)
        return result

    def _sync_automation_flow_lanes(self):
        """Changing the number of scheduler lanes creates or removes their
        crons at once: no module update needed."""
        for param in self.filtered(lambda param: param.key == LANES_PARAM):
            self.env["ir.cron"]._automation_flow_sync_lanes(param.value)
