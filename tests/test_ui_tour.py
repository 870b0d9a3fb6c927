# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import time

from odoo.tests import HttpCase, new_test_user, tagged

_logger = logging.getLogger(__name__)


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
        cls.template = cls.env["mail.template"].create(
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
        real = flow.enrollment_ids.filtered(lambda e: not e.is_test)
        self.assertEqual(sorted(real.mapped("res_id")), sorted(self.partners.ids))
        test = flow.enrollment_ids - real
        self.assertEqual(test.res_id, self.partners[0].id)
        self.assertEqual(
            sorted(test.task_ids.mapped("state")), ["done", "waiting"], "step by step"
        )

    def test_journey_panel_tour(self):
        partner = self.partners[0]
        flow = self.env["automation.flow"].create(
            {
                "name": "Journey flow",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain": [("id", "=", partner.id)],
            }
        )
        activity = {
            "step_type": "activity",
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
            "activity_user_type": "fixed",
            "activity_user_id": self.env.ref("base.user_admin").id,
        }
        call = self.env["automation.flow.step"].create(
            dict(activity, name="Call", flow_id=flow.id, trigger="start")
        )
        follow_up = self.env["automation.flow.step"].create(
            dict(
                activity,
                name="Follow up",
                flow_id=flow.id,
                parent_id=call.id,
                trigger="after_step",
                delay=3,
                delay_unit="days",
            )
        )
        flow.action_start_on_demand()
        flow.action_run()
        self.env["automation.flow.task"]._process_due_tasks()
        call.task_ids.activity_id.action_feedback(feedback="Called")
        self.start_tour(
            f"/odoo/res.partner/{partner.id}",
            "automation_flow_journey_tour",
            login="admin",
        )
        # The journey's controls: paused, resumed, the follow-up skipped.
        enrollment = flow.enrollment_ids
        self.assertEqual(enrollment.state, "running")
        self.assertEqual(follow_up.task_ids.state, "skipped")
        self.assertEqual(
            follow_up.task_ids.error_message,
            f"Skipped by {self.env.ref('base.user_admin').name}.",
        )

    def test_statistics_tour(self):
        flow = self.env["automation.flow"].create(
            {
                "name": "Statistics flow",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain": [("id", "in", self.partners.ids)],
            }
        )
        email = self.env["automation.flow.step"].create(
            {
                "name": "Welcome",
                "flow_id": flow.id,
                "step_type": "email",
                "trigger": "start",
                "mail_template_id": self.template.id,
            }
        )
        flow.action_start_on_demand()
        flow.action_run()
        self.env["automation.flow.task"]._process_due_tasks()
        # The events' own paths are tested elsewhere: here, what shows them.
        email.task_ids._on_event("sent")
        email.task_ids[:1]._on_event("opened")
        self.start_tour(
            f"/odoo/action-automation_flow.action_automation_flow/{flow.id}",
            "automation_flow_statistics_tour",
            login="admin",
        )

    def test_designer_100_steps_tour(self):
        """A drip of 90 steps (email, to-do, action, again and again) with an
        "opened" branch under every third email: 100 steps, created in one
        batch, then opened in the designer."""
        partner_model = self.env.ref("base.model_res_partner")
        dana = new_test_user(self.env, login="drip_dana", name="Drip Dana")
        flow = self.env["automation.flow"].create(
            {"name": "Drip of 100", "model_id": partner_model.id}
        )
        template = self.env["mail.template"].create(
            {
                "name": "Drip letter",
                "model_id": partner_model.id,
                "subject": "News",
                "body_html": "<p>News</p>",
            }
        )
        action = self.env["ir.actions.server"].create(
            {
                "name": "Drip mark",
                "model_id": partner_model.id,
                "state": "code",
                "code": "records.write({'function': 'dripped'})",
            }
        )
        todo = {
            "step_type": "activity",
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            "activity_user_type": "fixed",
            "activity_user_id": dana.id,
        }
        kinds = [
            {"step_type": "email", "mail_template_id": template.id},
            todo,
            {"step_type": "action", "server_action_id": action.id},
        ]
        chain = [
            dict(kinds[index % 3], name=f"Drip {index + 1}", delay=index % 5)
            for index in range(90)
        ]
        branches = [dict(todo, name=f"Opened {index + 1}") for index in range(0, 90, 9)]
        # One create for the 100 steps as first steps, then one statement
        # hangs them under their parents.
        steps = self.env["automation.flow.step"].create(
            [
                dict(values, flow_id=flow.id, trigger="start")
                for values in chain + branches
            ]
        )
        links = [
            (step.id, parent.id, "after_step")
            for parent, step in zip(steps[:89], steps[1:90], strict=True)
        ] + [
            (branch.id, steps[index].id, "email_opened")
            for branch, index in zip(steps[90:], range(0, 90, 9), strict=True)
        ]
        self.env.cr.execute(
            """UPDATE automation_flow_step step
                  SET parent_id = link.parent_id, trigger = link.trigger
                 FROM (SELECT unnest(%s) AS id, unnest(%s) AS parent_id,
                              unnest(%s) AS trigger) link
                WHERE step.id = link.id""",
            [
                [link[0] for link in links],
                [link[1] for link in links],
                [link[2] for link in links],
            ],
        )
        steps.invalidate_recordset(["parent_id", "trigger"])
        steps._parent_store_compute()
        steps._check_trigger()
        self.env.invalidate_all()
        start = time.perf_counter()
        tree = flow.get_step_tree()
        _logger.info(
            "automation_flow designer: the server describes 100 steps in %.0f ms",
            (time.perf_counter() - start) * 1000,
        )
        self.assertEqual(
            {step["kind"] for step in tree["steps"]}, {"start", "after", "event"}
        )
        self.start_tour(
            "/odoo/action-automation_flow.action_automation_flow",
            "automation_flow_designer_tour",
            login="admin",
        )

    def test_first_hour_tour(self):
        """The first hour on the demo: the running demo flow, its designer,
        a step's reach, its statistics and a journey."""
        flow = self.env.ref("automation_flow.demo_flow_welcome", False)
        if not flow:
            self.skipTest("the demo data is not installed")
        # Three contacts the step's domain matches, one of them a company,
        # which the flow's saved filter leaves out: 2 can reach the step.
        self.env["res.partner"].create(
            {"name": "Tour Corp", "email": "corp@tour.example.com", "is_company": True}
        )
        self.env.ref("automation_flow.demo_step_welcome_email").domain = repr(
            [("name", "=like", "Tour %")]
        )
        self.start_tour(
            "/odoo/action-automation_flow.action_automation_flow",
            "automation_flow_first_hour_tour",
            login="admin",
        )
        opened = flow.enrollment_ids.task_ids.filtered("opened_at")[:1]
        self.start_tour(
            f"/odoo/res.partner/{opened.res_id}",
            "automation_flow_first_hour_journey_tour",
            login="admin",
        )
