# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUiRulePresetTour(HttpCase):
    def test_rule_preset_tour(self):
        """In Chromium, a manager without Settings adds the rule "Job position
        is set to Buyer" to a running flow; a contact that becomes a buyer is
        then enrolled."""
        new_test_user(
            self.env,
            login="preset_manager",
            groups="base.group_user,automation_flow.group_automation_flow_manager",
        )
        flow = self.env["automation.flow"].create(
            {
                "name": "Tour preset",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain": "[('name', '=like', 'Tour preset%')]",
            }
        )
        self.env["automation.flow.step"].create(
            {
                "name": "Welcome",
                "flow_id": flow.id,
                "step_type": "activity",
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "activity_user_type": "fixed",
                "activity_user_id": self.env.ref("base.user_admin").id,
            }
        )
        flow.action_start_on_demand()
        self.start_tour(
            f"/odoo/action-automation_flow.action_automation_flow/{flow.id}",
            "automation_flow_rule_preset_tour",
            login="preset_manager",
        )
        rule = flow.enroll_action_ids.base_automation_id
        self.assertEqual(rule.trigger, "on_create_or_write")
        self.assertEqual(rule.filter_domain, "[('function', '=', 'Buyer')]")
        contact = self.env["res.partner"].create({"name": "Tour preset contact"})
        self.assertFalse(flow.enrollment_ids)
        contact.function = "Buyer"
        self.assertEqual(flow.enrollment_ids.res_id, contact.id)
