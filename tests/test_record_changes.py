# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import NOW, AutomationFlowCase, new_flow_user

MEETING = datetime(2026, 3, 2, 12, 0)


@tagged("post_install", "-at_install")
class TestRecordChanges(AutomationFlowCase):
    """Flows follow what people do to their records through the ORM: a date
    a step counts from moved either way, a record deleted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A datetime of contacts, as a user adds with Studio: the installed
        # modules give contacts none (res.partner's "date" is a date, and the
        # models with meeting times are not mail threads or not installed).
        cls.meeting_field = cls.add_contact_field(
            "x_flow_meeting", "Meeting", "datetime"
        )
        cls.writer = new_flow_user(
            cls.env, "flow_contact_writer", group="base.group_partner_manager"
        )
        cls.cron = cls.env.ref("automation_flow.cron_process_due_tasks")

    def setUp(self):
        super().setUp()
        # Hooks installed for the flows of this test are removed with the
        # registry changes at the end of the class.
        self.partners.x_flow_meeting = MEETING
        # The scheduler's next regular call is at 10:00.
        self.cron.nextcall = NOW + timedelta(hours=1)

    def reminder_flow(self):
        """'5 minutes before the meeting', enrolled at 09:00."""
        flow = self.create_flow()
        step = self.add_step(
            flow,
            "action",
            delay=5,
            delay_unit="minutes",
            date_field_id=self.meeting_field.id,
            date_direction="before",
        )
        self.start(flow)
        with self.at(NOW):
            flow.action_run()
        self.assertEqual(
            set(self.tasks_of(step).mapped("scheduled_at")),
            {MEETING - timedelta(minutes=5)},
        )
        # The scheduler ran at 09:00 as Run asked: its trigger is consumed.
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        return flow, step

    def move_meeting(self, partners, when, at):
        """Another user moves the meetings (a plain ORM write)."""
        with self.at(at):
            partners.with_user(self.writer).write({"x_flow_meeting": when})

    # -- a reminder follows its date both ways -----------------------------

    def test_reminder_follows_a_meeting_moved_earlier(self):
        _flow, step = self.reminder_flow()
        moved = self.partners[0]
        self.move_meeting(moved, "2026-03-02 10:00:00", at=NOW + timedelta(minutes=10))
        task = self.tasks_of(step, moved)
        self.assertEqual(task.scheduled_at, datetime(2026, 3, 2, 9, 55))
        self.assertEqual(
            set(self.tasks_of(step, self.partners[1:]).mapped("scheduled_at")),
            {MEETING - timedelta(minutes=5)},
            "the other meetings did not move",
        )
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count(
                [
                    ("cron_id", "=", self.cron.id),
                    ("call_at", "=", datetime(2026, 3, 2, 9, 55)),
                ]
            ),
            "the scheduler is called at 09:55, before its next call at 10:00",
        )
        with self.at(datetime(2026, 3, 2, 9, 56)):
            self.run_due()
        self.assertEqual(task.state, "done")
        self.assertEqual(moved.function, "flow was here")
        self.assertTasks(step, self.partners[1:], "scheduled")

    def test_reminder_follows_a_meeting_moved_later(self):
        _flow, step = self.reminder_flow()
        moved = self.partners[:2]
        self.move_meeting(moved, "2026-03-02 14:00:00", at=NOW + timedelta(minutes=10))
        self.assertEqual(
            set(self.tasks_of(step, moved).mapped("scheduled_at")),
            {datetime(2026, 3, 2, 13, 55)},
        )
        with self.at(datetime(2026, 3, 2, 11, 56)):
            self.run_due()
        self.assertTasks(step, moved, "scheduled")
        self.assertTasks(step, self.partners[2:], "done")

    def test_reminder_of_a_cleared_meeting_is_skipped_when_due(self):
        _flow, step = self.reminder_flow()
        cleared = self.partners[0]
        self.move_meeting(cleared, False, at=NOW + timedelta(minutes=10))
        task = self.tasks_of(step, cleared)
        self.assertEqual(task.scheduled_at, MEETING - timedelta(minutes=5))
        with self.at(datetime(2026, 3, 2, 11, 56)):
            self.run_due()
        self.assertEqual(task.state, "skipped")
        self.assertIn("no Meeting", task.error_message)

    def test_moving_meetings_is_one_statement_per_write(self):
        _flow, step = self.reminder_flow()
        few = self.count_queries(
            lambda: self.move_meeting(self.partners[:2], "2026-03-02 10:00:00", at=NOW)
        )
        many = self.count_queries(
            lambda: self.move_meeting(self.partners[2:], "2026-03-02 10:00:00", at=NOW)
        )
        self.assertEqual(few, many, "the cost does not grow with the records")
        self.assertEqual(
            set(self.tasks_of(step).mapped("scheduled_at")),
            {datetime(2026, 3, 2, 9, 55)},
        )

    def test_writing_another_field_costs_no_query(self):
        Flow = self.env["automation.flow"]
        partner = self.partners[0].with_user(self.writer)
        Flow._remove_record_hooks()
        without_flow = self.count_queries(lambda: partner.write({"function": "A"}))
        self.reminder_flow()
        self.assertIn("x_flow_meeting", Flow._installed_record_hooks()["res.partner"])
        with_flow = self.count_queries(lambda: partner.write({"function": "B"}))
        self.assertEqual(with_flow, without_flow)

    def test_steps_changes_refresh_the_watched_dates(self):
        Flow = self.env["automation.flow"]
        flow, step = self.reminder_flow()
        self.assertIn("x_flow_meeting", Flow._installed_record_hooks()["res.partner"])
        step.date_field_id = False
        self.assertNotIn(
            "x_flow_meeting", Flow._installed_record_hooks()["res.partner"]
        )
        step.date_field_id = self.meeting_field
        self.assertIn("x_flow_meeting", Flow._installed_record_hooks()["res.partner"])
        flow.action_done()
        self.assertNotIn(
            "x_flow_meeting", Flow._installed_record_hooks()["res.partner"]
        )
        # Blacklisted addresses are a model no other flow runs on.
        users_flow = self.create_flow(
            model_id=self.env.ref("mail.model_mail_blacklist").id, domain="[]"
        )
        self.assertIn("mail.blacklist", Flow._installed_record_hooks())
        users_flow.unlink()
        self.assertNotIn("mail.blacklist", Flow._installed_record_hooks())

    def test_automation_rules_keep_the_hooks(self):
        """base_automation removes every patched write and unlink when its
        rules change: the flows' own are put back."""
        flow, step = self.reminder_flow()
        self.add_enroll_rule(flow)
        hooks = self.env["automation.flow"]._installed_record_hooks()
        self.assertIn("x_flow_meeting", hooks["res.partner"])
        self.move_meeting(
            self.partners[0], "2026-03-02 10:00:00", at=NOW + timedelta(minutes=10)
        )
        self.assertEqual(
            self.tasks_of(step, self.partners[0]).scheduled_at,
            datetime(2026, 3, 2, 9, 55),
        )

    # -- a deleted record leaves its flows at once -------------------------

    def test_deleting_a_record_ends_its_enrollments(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email")
        opened = self.add_step(flow, "action", parent=email, trigger="email_opened")
        self.start(flow)
        with self.at(NOW):
            flow.action_run()
            self.run_due()
        deleted = self.partners[:2]
        self.assertTasks(opened, deleted, "waiting")
        enrollments = flow.enrollment_ids.filtered(
            lambda enrollment: enrollment.res_id in deleted.ids
        )
        deleted.with_user(self.writer).unlink()
        self.assertEqual(set(enrollments.mapped("state")), {"cancelled"})
        self.assertEqual(
            set(enrollments.mapped("exit_reason")), {"The record was deleted."}
        )
        self.assertEqual(
            set(enrollments.task_ids.filtered("parent_id").mapped("state")),
            {"cancelled"},
        )
        self.assertEqual(
            flow.enrollment_running_count,
            len(self.partners) - 2,
            "deleted records are not counted as running",
        )
        self.assertTasks(opened, self.partners[2:], "waiting")
