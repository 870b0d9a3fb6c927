# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from ..hooks import uninstall_hook
from .common import AutomationFlowCase


@tagged("post_install", "-at_install")
class TestUninstall(AutomationFlowCase):
    """The uninstall hook leaves no "Enroll in a flow" action behind.

    Uninstalling the module inside the test suite is not possible; the hook
    is what runs before Odoo removes the module's data and tables (checked
    by hand with a real uninstall: no error, no warning on later writes).
    """

    def test_uninstall_removes_enroll_actions_their_steps_and_rules(self):
        target = self.create_flow(name="Target")
        self.add_step(target)
        self.start(target)
        rule = self.add_enroll_rule(target)
        enroll = rule.action_server_ids
        self.assertEqual(enroll.state, "automation_flow_enroll")
        # Another flow enrolls its records in the target with an action step.
        source = self.create_flow(name="Source")
        kept_step = self.add_step(source)
        enroll_step = self.add_step(source, server_action_id=enroll.id)
        # A rule that also does something else keeps that.
        other_rule = self.env["base.automation"].create(
            {
                "name": "Mark and enroll",
                "model_id": self.partner_model.id,
                "trigger": "on_create_or_write",
            }
        )
        other_enroll = self.env["ir.actions.server"].create(
            {
                "name": "Enroll too",
                "model_id": self.partner_model.id,
                "state": "automation_flow_enroll",
                "automation_flow_id": target.id,
                "base_automation_id": other_rule.id,
                "usage": "base_automation",
            }
        )
        self.action_mark.base_automation_id = other_rule

        uninstall_hook(self.env)

        self.assertFalse(
            self.env["ir.actions.server"].search(
                [("state", "=", "automation_flow_enroll")]
            )
        )
        self.assertFalse(enroll.exists() | other_enroll.exists())
        self.assertFalse(rule.exists(), "its only action is gone")
        self.assertEqual(other_rule.action_server_ids, self.action_mark)
        self.assertFalse(enroll_step.exists())
        self.assertTrue(kept_step.exists())
        with self.assertNoLogs(level="WARNING"):
            self.partners[0].write({"comment": "after uninstall"})
        self.assertEqual(self.partners[0].function, "flow was here")
