# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, models
from odoo.exceptions import ValidationError

from ..engine import webhook
from .automation_flow_step_webhook import ALLOWED_NETWORKS_PARAM
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

    @api.constrains("key", "value")
    def _check_automation_flow_webhook_networks(self):
        for param in self.filtered(lambda p: p.key == ALLOWED_NETWORKS_PARAM):
            try:
                webhook.allowed_networks(param.value)
            except ValueError as error:
                raise ValidationError(
                    _(
                        "The system parameter %(param)s lists the networks "
                        "webhooks may call besides public addresses: addresses "
                        "or networks such as 10.0.0.0/8, separated by commas. "
                        "%(entry)s is neither.",
                        param=ALLOWED_NETWORKS_PARAM,
                        entry=error.args[0],
                    )
                ) from None
