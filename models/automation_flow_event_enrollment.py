# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, fields, models
from odoo.exceptions import AccessError


class AutomationFlow(models.Model):
    """Event enrollment: the automation rules whose action pushes records
    into the flow, shown and created from the flow's form.

    Nothing is created until the manager picks a story in the preset wizard
    (``automation.flow.rule.preset``); each rule's enroll action is named
    after the flow (``ir.actions.server._compute_name``), so that the rule's
    action line says where it enrolls.
    """

    _inherit = "automation.flow"

    enroll_action_ids = fields.One2many(
        "ir.actions.server",
        "automation_flow_id",
        string="Automation rules",
        domain=[("usage", "=", "base_automation")],
        readonly=True,
        # Automation Users may not read server actions.
        groups="automation_flow.group_automation_flow_manager",
    )

    def _enroll_action_name(self):
        self.ensure_one()
        return _("Enroll in flow: %s", self.name)

    def _check_can_edit_rules(self):
        """Automation managers (Settings rights not needed) who may write the
        flow may create, pause and remove its enrollment rules."""
        if not self.env.user.has_group("automation_flow.group_automation_flow_manager"):
            raise AccessError(
                _("Only automation managers can create automation rules for flows.")
            )
        self.check_access("write")

    def action_create_automation_rule(self):
        """The wizard of the rule presets; no rule exists until it is done."""
        self.ensure_one()
        self._check_can_edit_rules()
        return {
            "type": "ir.actions.act_window",
            "name": _("Enroll records when…"),
            "res_model": "automation.flow.rule.preset",
            "view_mode": "form",
            "target": "new",
            "context": {"default_flow_id": self.id},
        }
