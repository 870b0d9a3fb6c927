# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import AutomationFlowCase


@tagged("post_install", "-at_install")
class TestValidation(AutomationFlowCase):
    def setUp(self):
        super().setUp()
        self.flow = self.create_flow()
        self.users_model = self.env.ref("base.model_res_users")

    def test_template_of_another_model(self):
        template = self.env["mail.template"].create(
            {"name": "For users", "model_id": self.users_model.id}
        )
        with self.assertRaisesRegex(ValidationError, "another model"):
            self.add_step(self.flow, "email", mail_template_id=template.id)

    def test_server_action_of_another_model(self):
        action = self.env["ir.actions.server"].create(
            {"name": "On users", "model_id": self.users_model.id, "state": "code"}
        )
        with self.assertRaisesRegex(ValidationError, "another model"):
            self.add_step(self.flow, "action", server_action_id=action.id)

    def test_activity_user_field_of_another_model(self):
        field = self.env.ref("base.field_res_users__create_uid")
        with self.assertRaisesRegex(ValidationError, "another model"):
            self.add_step(
                self.flow,
                "activity",
                activity_user_type="field",
                activity_user_field_id=field.id,
            )

    def test_step_type_needs_its_target(self):
        with self.assertRaisesRegex(ValidationError, "email template"):
            self.add_step(self.flow, "email", mail_template_id=False)
        with self.assertRaisesRegex(ValidationError, "server action"):
            self.add_step(self.flow, "action", server_action_id=False)

    def test_a_new_step_sends_an_email_by_default(self):
        """A new step has a type: an email, the most common step (the form
        and a creation with only the required values, as RPC does)."""
        Step = self.env["automation.flow.step"]
        self.assertEqual(Step.default_get(["step_type"])["step_type"], "email")
        step = Step.create(
            {
                "name": "Hello",
                "flow_id": self.flow.id,
                "mail_template_id": self.template.id,
            }
        )
        self.assertEqual((step.step_type, step.trigger), ("email", "start"))
        with self.assertRaisesRegex(ValidationError, "email template"):
            Step.create({"name": "No template", "flow_id": self.flow.id})

    def test_trigger_must_fit_the_parent_type(self):
        activity = self.add_step(self.flow, "activity")
        with self.assertRaisesRegex(ValidationError, "does not fit under a step"):
            self.add_step(self.flow, "action", parent=activity, trigger="email_opened")
        email = self.add_step(self.flow, "email")
        with self.assertRaisesRegex(ValidationError, "does not fit under a step"):
            self.add_step(self.flow, "action", parent=email, trigger="activity_done")
        self.assertTrue(
            self.add_step(
                self.flow, "action", parent=email, trigger="email_not_replied"
            )
        )

    def test_root_step_must_start_at_enrollment(self):
        with self.assertRaisesRegex(ValidationError, "At enrollment"):
            self.add_step(self.flow, "action", trigger="after_step")

    def test_changing_a_parent_type_rechecks_its_children(self):
        email = self.add_step(self.flow, "email")
        self.add_step(self.flow, "action", parent=email, trigger="email_opened")
        with self.assertRaisesRegex(ValidationError, "does not fit under a step"):
            email.write(
                {"step_type": "action", "server_action_id": self.action_mark.id}
            )

    def test_negative_delay(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.add_step(self.flow, "action", delay=-5)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.add_step(self.flow, "action", expiry=-1)

    def test_delays_have_an_upper_bound(self):
        with self.assertRaisesRegex(
            ValidationError, r"too long: it can be at most 10 years \(120 months\)"
        ):
            self.add_step(self.flow, "action", delay=1_200_000, delay_unit="months")
        with self.assertRaisesRegex(ValidationError, r"at most 10 years \(3650 days\)"):
            self.add_step(
                self.flow,
                "action",
                parent=self.add_step(self.flow, "email"),
                trigger="email_opened",
                expiry=5000,
                expiry_unit="days",
            )
        step = self.add_step(self.flow, "action", delay=3000, delay_unit="days")
        with self.assertRaisesRegex(ValidationError, "too long"):
            step.delay_unit = "months"

    def test_cycle(self):
        first = self.add_step(self.flow, "action")
        second = self.add_step(self.flow, "action", parent=first)
        with self.assertRaisesRegex(UserError, "Recursion"):
            first.write({"parent_id": second.id, "trigger": "after_step"})

    def test_parent_of_another_flow(self):
        other_flow = self.create_flow(name="Other")
        parent = self.add_step(other_flow, "action")
        with self.assertRaisesRegex(ValidationError, "flow of its parent"):
            self.add_step(self.flow, "action", parent=parent)

    def test_invalid_domains(self):
        with self.assertRaisesRegex(ValidationError, "domain of the flow"):
            self.create_flow(domain="[('no_such_field', '=', 1)]")
        with self.assertRaisesRegex(ValidationError, "domain of the step"):
            self.add_step(self.flow, "action", domain="[('no_such_field', '=', 1)]")

    def test_date_field_of_another_model(self):
        with self.assertRaisesRegex(ValidationError, "is not a field of"):
            self.add_step(
                self.flow,
                "action",
                date_field_id=self.env.ref("base.field_res_users__login_date").id,
            )

    def test_model_is_locked_once_records_went_through(self):
        self.add_step(self.flow, "action")
        self.start(self.flow)
        self.flow.action_run()
        with self.assertRaisesRegex(UserError, "model cannot be changed"):
            self.flow.model_id = self.users_model

    def test_enroll_action_needs_a_flow_of_its_model(self):
        with self.assertRaisesRegex(ValidationError, "cannot enroll its records"):
            self.env["ir.actions.server"].create(
                {
                    "name": "Wrong",
                    "model_id": self.users_model.id,
                    "state": "automation_flow_enroll",
                    "automation_flow_id": self.flow.id,
                }
            )
