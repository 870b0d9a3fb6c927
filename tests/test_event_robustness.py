# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from odoo.tests import HttpCase, freeze_time, tagged
from odoo.tools import SQL

from .common import HOUR, NOW, AutomationFlowEventCase

TASK_LOGGER = "odoo.addons.automation_flow.models.automation_flow_task"


@tagged("post_install", "-at_install")
class TestEventRobustness(AutomationFlowEventCase, HttpCase):
    """Steps created with their required values only (as RPC, imports and
    data files create them) react to events; and whatever goes wrong while an
    event is recorded, the person who opened, replied or marked the activity
    done never sees it fail."""

    # No delay, no expiry, no units: the ORM fills what the step needs.
    email_children = {"email_opened": {}, "email_replied": {}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.assignee = cls.env["res.users"].create(
            {
                "name": "Sales rep",
                "login": "flow_robust_rep",
                "email": "rep@example.com",
                "groups_id": [(6, 0, cls.env.ref("base.group_user").ids)],
            }
        )
        Step = cls.env["automation.flow.step"]
        cls.call_step = Step.create(
            {
                "name": "Call",
                "flow_id": cls.flow.id,
                "step_type": "activity",
                "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                "activity_user_id": cls.assignee.id,
            }
        )
        cls.call_done_step = Step.create(
            {
                "name": "Called",
                "flow_id": cls.flow.id,
                "parent_id": cls.call_step.id,
                "step_type": "action",
                "server_action_id": cls.action.id,
                "trigger": "activity_done",
            }
        )

    def setUp(self):
        super().setUp()
        self.email_tasks = self.queue_emails()
        self.task = self.email_tasks[0]
        self.pixel = self.tracking_paths(self.task)[0]
        self.send_emails(self.email_tasks)
        self.call = self.tasks_of(self.call_step, self.partners[0])

    def tasks_of(self, step, records):
        return self.env["automation.flow.task"].search(
            [("step_id", "=", step.id), ("res_id", "in", records.ids)]
        )

    def failing_events(self):
        """Make every event recording fail, as a bug or a broken row would."""
        return patch.object(
            self.registry["automation.flow.task"],
            "_on_event",
            side_effect=RuntimeError("broken event"),
        )

    def test_steps_without_optional_values_store_numbers(self):
        steps = self.email_step | self.call_step | self.call_done_step
        steps |= self.children["email_opened"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT delay, expiry, max_attempts, activity_deadline_days
                   FROM automation_flow_step WHERE id = ANY(%s)""",
                steps.ids,
            )
        )
        self.assertEqual(self.env.cr.fetchall(), [(0, 0, 5, 0)])

    def test_open_wakes_child_with_due_time(self):
        response = self.open_path(self.pixel, at=NOW + HOUR)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertChildren(self.task, {"email_opened": "waiting"})
        # The scheduler's next run moves the child as of the open and runs it.
        self.run_scheduler(NOW + HOUR)
        self.assertChildren(self.task, {"email_opened": "done"})

    def test_reply_wakes_child_with_due_time(self):
        thread_id = self.reply(self.task, at=NOW + HOUR)
        self.assertEqual(thread_id, self.partners[0].id, "routed to the contact")
        self.assertChildren(self.task, {"email_replied": ("scheduled", NOW + HOUR)})

    def test_activity_done_wakes_child_with_due_time(self):
        with freeze_time(NOW + HOUR):
            self.call.activity_id.with_user(self.assignee).action_done()
        self.assertEqual(self.call.activity_done_at, NOW + HOUR)
        self.assertChildren(self.call, {"activity_done": ("scheduled", NOW + HOUR)})

    def test_failing_event_still_serves_the_image(self):
        with self.failing_events(), self.assertLogs(TASK_LOGGER, "WARNING") as logs:
            response = self.open_path(self.pixel)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertIn("Could not record the event opened", logs.output[0])
        self.assertChildren(self.task, {"email_opened": "waiting"})

    def test_failing_event_still_routes_the_reply(self):
        with self.failing_events(), self.assertLogs(TASK_LOGGER, "WARNING") as logs:
            thread_id = self.reply(self.task, at=NOW + HOUR)
        self.assertEqual(thread_id, self.partners[0].id)
        self.assertIn("Yes, I am interested", self.partners[0].message_ids[0].body)
        self.assertIn("Could not record the event replied", logs.output[0])

    def test_failing_event_still_lets_the_activity_be_done(self):
        activity = self.call.activity_id
        with self.failing_events(), self.assertLogs(TASK_LOGGER, "WARNING") as logs:
            activity.with_user(self.assignee).action_feedback(feedback="Called")
        self.assertFalse(activity.exists(), "Odoo deleted the done activity")
        self.assertIn("Called", self.partners[0].message_ids[0].body)
        self.assertIn("Could not record the event activity_done", logs.output[0])
