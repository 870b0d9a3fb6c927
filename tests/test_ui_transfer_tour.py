# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUiTransferTour(HttpCase):
    def test_export_import_round_trip_tour(self):
        """In Chromium: export a flow with a branch, import the downloaded
        file, and the new flow exports to the same file."""
        partner_model = self.env.ref("base.model_res_partner")
        template = self.env["mail.template"].create(
            {
                "name": "Tour transfer email",
                "model_id": partner_model.id,
                "subject": "Hello",
                "body_html": "<p>Hello</p>",
            }
        )
        flow = self.env["automation.flow"].create(
            {"name": "Tour export", "model_id": partner_model.id}
        )
        Step = self.env["automation.flow.step"]
        condition = Step.create(
            {
                "name": "Has a phone?",
                "flow_id": flow.id,
                "step_type": "condition",
                "condition_domain": "[('phone', '!=', False)]",
            }
        )
        email = Step.create(
            {
                "name": "Welcome",
                "flow_id": flow.id,
                "parent_id": condition.id,
                "trigger": "condition_yes",
                "step_type": "email",
                "mail_template_id": template.id,
            }
        )
        Step.create(
            {
                "name": "Call",
                "flow_id": flow.id,
                "parent_id": email.id,
                "trigger": "email_not_opened",
                "delay": 2,
                "delay_unit": "days",
                "step_type": "activity",
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "activity_user_type": "fixed",
                "activity_user_id": self.env.ref("base.user_admin").id,
            }
        )
        self.start_tour(
            f"/odoo/action-automation_flow.action_automation_flow/{flow.id}",
            "automation_flow_transfer_tour",
            login="admin",
        )
        flows = self.env["automation.flow"].search([("name", "=", "Tour export")])
        self.assertEqual(len(flows), 2)
        copy = flows - flow
        self.assertEqual(copy.step_ids.mail_template_id, template, "found, not copied")
        Transfer = self.env["automation.flow.transfer"]
        self.assertEqual(Transfer._export_json(copy), Transfer._export_json(flow))
