# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, models
from odoo.exceptions import UserError

from ..engine import states


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def write(self, vals):
        if "model_id" in vals:
            self._check_model_change(vals["model_id"])
        return super().write(vals)

    def _check_model_change(self, model_id):
        """Refuse to move templates to another model while a running flow
        sends them: its steps would render them on records of that model."""
        # Whoever may edit a template must learn which flows hold it, even
        # without access to automation flows.
        steps = (
            self.env["automation.flow.step"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("mail_template_id", "in", self.ids),
                    ("flow_id.state", "in", states.FLOW_RUNNING),
                    ("flow_id.model_id", "!=", model_id),
                ]
            )
        )
        if steps:
            raise UserError(
                _(
                    "The template %(templates)s is sent by the running flows "
                    "%(flows)s: its model (Applies to) cannot change while they "
                    "run. Duplicate the template and change the copy, or mark "
                    "the flows done first.",
                    templates=", ".join(steps.mail_template_id.mapped("name")),
                    flows=", ".join(steps.flow_id.mapped("name")),
                )
            )
