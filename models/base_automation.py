# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    def _update_registry(self):
        """base_automation re-patches models by removing every patched
        ``write`` and ``unlink`` first, those of automation flows included:
        put them back (see ``automation_flow_record_hooks.py``)."""
        result = super()._update_registry()
        self.env["automation.flow"]._update_record_hooks()
        return result
