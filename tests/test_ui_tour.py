# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUiTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": "Tour Ann", "email": "ann@tour.automation.example.com"},
                {"name": "Tour Bob", "email": "bob@tour.automation.example.com"},
            ]
        )
        cls.env["mail.template"].create(
            {
                "name": "Tour welcome",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "subject": "Welcome",
                "body_html": "<p>Welcome</p>",
            }
        )

    def test_flow_designer_tour(self):
        self.start_tour("/odoo", "automation_flow_tour", login="admin")
        flow = self.env["automation.flow"].search([("name", "=", "Tour welcome")])
        self.assertEqual(flow.state, "on_demand")
        email = flow.step_ids.filtered(lambda step: not step.parent_id)
        self.assertEqual(email.step_type, "email")
        self.assertRecordValues(
            email.child_ids,
            [
                {
                    "step_type": "activity",
                    "trigger": "email_opened",
                    "delay": 2,
                    "delay_unit": "days",
                }
            ],
        )
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(self.partners.ids)
        )
