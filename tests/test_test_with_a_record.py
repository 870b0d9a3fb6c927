# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestTestWithARecord(AutomationFlowCase):
    """The test dialog walks any branch by simulating events on the test's
    tasks, and a dry run goes through the steps leaving nothing behind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "tester_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "tester_user")
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(cls.flow, "email", name="Welcome")
        cls.opened = cls.add_step(
            cls.flow, "activity", parent=cls.email, name="Call", trigger="email_opened"
        )
        cls.not_opened = cls.add_step(
            cls.flow,
            "action",
            parent=cls.email,
            name="Reminder",
            trigger="email_not_opened",
            delay=2,
            delay_unit="days",
        )
        cls.partner = cls.partners[0]

    def new_test(self, user=None, record=None):
        flow = self.flow.with_user(user or self.manager)
        action = flow.action_test()
        return (
            flow.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"res_id": (record or self.partner).id})
        )

    def task(self, test, step):
        return test.task_ids.filtered(lambda task: task.step_id == step)

    def simulate(self, test, step, event):
        test.write(
            {"simulate_task_id": self.task(test, step).id, "simulate_event": event}
        )
        test.action_simulate()

    def test_walks_the_opened_branch_by_simulation(self):
        test = self.new_test()
        test.action_enroll()
        test.action_run_next()
        self.assertEqual(self.task(test, self.email).state, "done")
        self.assertEqual(self.task(test, self.email).email_state, "queued")
        self.assertEqual(self.task(test, self.opened).state, "waiting")
        test.simulate_task_id = self.task(test, self.email)
        self.assertEqual(
            test.simulate_options,
            "Sent, Failed to send, Opened, Clicked, Replied, Bounced, Unsubscribed",
        )
        self.simulate(test, self.email, "event:opened")
        self.assertTrue(self.task(test, self.email).opened_at)
        self.assertEqual(self.task(test, self.opened).state, "scheduled")
        self.assertEqual(self.task(test, self.not_opened).state, "cancelled")
        test.action_run_next()
        self.assertEqual(self.task(test, self.opened).state, "done")
        self.assertTrue(self.task(test, self.opened).activity_id)
        self.assertFalse(self.flow.enrollment_ids.filtered(lambda e: not e.is_test))

    def test_walks_the_not_opened_branch_then_again(self):
        test = self.new_test()
        test.action_enroll()
        test.action_run_next()
        first = test.enrollment_id
        # Nothing is opened: the reminder runs when asked, ahead of its time.
        test.action_run_next()
        self.assertEqual(self.task(test, self.not_opened).state, "done")
        self.assertEqual(self.partner.function, "flow was here")
        self.assertEqual(self.task(test, self.opened).state, "waiting")
        test.action_test_again()
        self.assertFalse(test.enrollment_id)
        test.action_enroll()
        self.assertNotEqual(test.enrollment_id, first)
        self.assertEqual(self.task(test, self.email).state, "scheduled")

    def test_simulation_says_what_fits(self):
        test = self.new_test()
        test.action_enroll()
        with self.assertRaisesRegex(UserError, "has not run yet"):
            self.simulate(test, self.email, "event:opened")
        test.action_run_next()
        with self.assertRaisesRegex(UserError, "cannot receive this event.*Opened"):
            self.simulate(test, self.email, "event:activity_done")
        self.simulate(test, self.email, "event:opened")
        test.action_run_next()
        # The activity's events walk its children the same way.
        self.simulate(test, self.opened, "event:activity_done")
        self.assertTrue(self.task(test, self.opened).activity_done_at)

    def test_condition_branch_chosen_by_simulation(self):
        flow = self.create_flow(name="Decide")
        condition = self.add_step(
            flow, "condition", condition_domain="[('email', '=', 'nobody')]"
        )
        yes = self.add_step(flow, "action", parent=condition, trigger="condition_yes")
        no = self.add_step(flow, "action", parent=condition, trigger="condition_no")
        action = flow.with_user(self.manager).action_test()
        test = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"res_id": self.partner.id})
        )
        test.action_enroll()
        # The record does not match the condition: simulate Yes anyway.
        self.simulate(test, condition, "branch:condition_yes")
        self.assertEqual(self.task(test, condition).outcome, "yes")
        self.assertEqual(self.task(test, yes).state, "scheduled")
        self.assertFalse(self.task(test, no))
        self.assertIn("simulated", self.task(test, condition).error_message)

    def test_approval_walked_by_simulation(self):
        flow = self.create_flow(name="Approve")
        approval = self.add_step(flow, "approval")
        approved = self.add_step(
            flow, "action", parent=approval, trigger="approval_approved"
        )
        rejected = self.add_step(
            flow, "action", parent=approval, trigger="approval_rejected"
        )
        action = flow.with_user(self.manager).action_test()
        test = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"res_id": self.partner.id})
        )
        test.action_enroll()
        test.action_run_next()
        self.assertEqual(self.task(test, approved).state, "waiting")
        self.simulate(test, approval, "event:approval_rejected")
        self.assertEqual(self.task(test, rejected).state, "scheduled")
        self.assertEqual(self.task(test, approved).state, "cancelled")

    def test_automation_user_cannot_test(self):
        test = self.new_test()
        test.action_enroll()
        test.action_run_next()
        as_user = test.with_user(self.user)
        for method in ("action_simulate", "action_dry_run", "action_run_next"):
            with self.assertRaises(AccessError):
                getattr(as_user, method)()
        with self.assertRaises(AccessError):
            self.new_test(user=self.user)

    def test_dry_run_sends_and_writes_nothing(self):
        self.add_step(self.flow, "action", name="Mark")
        models = [
            "automation.flow.enrollment",
            "automation.flow.task",
            "mail.mail",
            "mail.message",
            "mail.activity",
            "link.tracker",
        ]
        before = {model: self.env[model].sudo().search_count([]) for model in models}
        write_date = self.partner.write_date
        test = self.new_test()
        test.action_dry_run()
        self.env.flush_all()
        self.env.invalidate_all()
        after = {model: self.env[model].sudo().search_count([]) for model in models}
        self.assertEqual(after, before)
        self.assertFalse(self.partner.function, "the action's write is undone")
        self.assertEqual(self.partner.write_date, write_date)
        self.assertFalse(test.enrollment_id)
        report = {line.step_id: line for line in test.dry_run_line_ids}
        self.assertEqual(report[self.email].state, "done")
        self.assertEqual(report[self.email].email_subject, "Hello Flow contact 0")
        self.assertEqual(report[self.email].email_to, "contact0@example.com")
        self.assertEqual(report[self.opened].state, "waiting")
        self.assertEqual(report[self.opened].detail, "Waits for: Email opened")
        self.assertEqual(report[self.not_opened].state, "done")
        self.assertEqual(
            [line.step_id.name for line in test.dry_run_line_ids][:2],
            ["Welcome", "Mark"],
        )

    def test_picker_offers_the_records_of_the_flow(self):
        outsider = self.env["res.partner"].create({"name": "Outsider"})
        test = self.new_test(record=outsider)
        domain = ast.literal_eval(test.record_domain)
        self.assertEqual(self.env["res.partner"].search(domain), self.partners)
        with self.assertRaisesRegex(UserError, "does not enter the flow"):
            test.action_enroll()
        with self.assertRaisesRegex(UserError, "does not enter the flow"):
            test.action_dry_run()
