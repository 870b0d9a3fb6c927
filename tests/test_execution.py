# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .common import NOW, AutomationFlowCase


@tagged("post_install", "-at_install")
class TestExecution(AutomationFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.date_field = cls.add_contact_field("x_flow_date", "Renewal date", "date")
        cls.meeting_field = cls.add_contact_field(
            "x_flow_meeting", "Meeting", "datetime"
        )

    def enroll(self, flow):
        self.start(flow)
        flow.action_run()
        return flow

    # -- the three step types -------------------------------------------

    def test_email_step_queues_one_mail_per_record_logged_on_the_chatter(self):
        flow = self.create_flow()
        step = self.add_step(flow, "email")
        self.enroll(flow)
        self.run_due()
        self.assertTasks(step, self.partners, "done")
        tasks = self.tasks_of(step)
        mails = tasks.mail_mail_id
        self.assertEqual(len(mails), len(self.partners))
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "queued, not sent")
        self.assertEqual(
            sorted(mails.mapped("email_to")), sorted(self.partners.mapped("email"))
        )
        task = tasks.filtered(lambda t: t.res_id == self.partners[0].id)
        self.assertEqual(task.mail_mail_id.subject, "Hello Flow contact 0")
        self.assertEqual(task.email_message_id, task.mail_mail_id.message_id)
        self.assertIn(task.mail_mail_id.mail_message_id, self.partners[0].message_ids)
        # The chatter keeps the message once the mail queue deletes the mail.
        message = task.mail_mail_id.mail_message_id
        task.mail_mail_id.unlink()
        self.assertTrue(message.exists())

    def test_email_author_and_server_override_the_template(self):
        author = new_test_user(
            self.env, login="flow_sales_team", email="sales@example.com"
        ).partner_id
        server = self.env["ir.mail_server"].create(
            {"name": "Flow server", "smtp_host": "127.0.0.1"}
        )
        flow = self.create_flow()
        step = self.add_step(
            flow, "email", mail_author_id=author.id, mail_server_id=server.id
        )
        self.enroll(flow)
        self.run_due()
        mails = self.tasks_of(step).mail_mail_id
        self.assertEqual(set(mails.mapped("author_id").ids), {author.id})
        self.assertEqual(set(mails.mapped("email_from")), {author.email_formatted})
        self.assertEqual(mails.mail_server_id, server)

    def test_activity_step_assigns_the_user_of_the_record(self):
        flow = self.create_flow()
        step = self.add_step(
            flow,
            "activity",
            activity_summary="Call the contact",
            activity_deadline_days=3,
            activity_user_type="field",
            activity_user_field_id=self.env.ref("base.field_res_partner__user_id").id,
        )
        self.partners[0].user_id = False
        with self.at(NOW):
            self.enroll(flow)
            self.run_due()
        self.assertTasks(step, self.partners, "done")
        activities = self.tasks_of(step).activity_id
        self.assertEqual(len(activities), len(self.partners))
        self.assertEqual(set(activities.mapped("summary")), {"Call the contact"})
        self.assertEqual(
            set(activities.mapped("date_deadline")), {NOW.date() + timedelta(days=3)}
        )
        by_record = {activity.res_id: activity.user_id for activity in activities}
        self.assertEqual(by_record[self.partners[1].id], self.salesperson)
        self.assertEqual(
            by_record[self.partners[0].id], self.env.user, "the step's user as fallback"
        )

    def test_activities_of_one_record_in_one_batch(self):
        """A real and a test enrollment of the same record run together: each
        gets its activity, without a failed batch replayed task by task."""
        flow = self.create_flow()
        step = self.add_step(flow, "activity", activity_user_id=self.salesperson.id)
        partner = self.partners[0]
        self.start(flow)
        with self.at(NOW):
            flow._enroll(partner.ids)
            flow._enroll(partner.ids, is_test=True)
            with self.assertNoLogs("odoo.sql_db", "ERROR"):
                self.run_due()
        tasks = self.tasks_of(step, partner)
        self.assertEqual(sorted(tasks.mapped("is_test")), [False, True])
        self.assertEqual(tasks.mapped("state"), ["done", "done"])
        self.assertEqual(len(tasks.activity_id), 2, "one activity per task")
        self.assertEqual(set(tasks.activity_id.mapped("res_id")), {partner.id})

    def test_server_action_runs_on_the_whole_batch(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action")
        self.enroll(flow)
        self.run_due()
        self.assertTasks(step, self.partners, "done")
        self.assertEqual(set(self.partners.mapped("function")), {"flow was here"})

    def test_server_action_on_record_runs_per_record(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "One by one",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": "record.write({'function': 'Seen ' + record.name})",
            }
        )
        flow = self.create_flow()
        step = self.add_step(flow, "action", server_action_id=action.id)
        self.assertTrue(step._action_needs_single_record())
        self.enroll(flow)
        self.run_due()
        self.assertEqual(
            self.partners.mapped("function"),
            [f"Seen {name}" for name in self.partners.mapped("name")],
        )

    # -- failures --------------------------------------------------------

    def test_a_failing_record_is_isolated_from_its_batch(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Fails on contact 2",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": (
                    "if records.filtered(lambda r: r.name == 'Flow contact 2'):\n"
                    "    raise UserError('contact 2 is broken')\n"
                    "records.write({'function': 'ok'})"
                ),
            }
        )
        flow = self.create_flow()
        step = self.add_step(flow, "action", server_action_id=action.id)
        child = self.add_step(flow, "action", parent=step)
        self.enroll(flow)
        self.run_due()
        broken = self.partners[2]
        self.assertTasks(step, broken, "error")
        self.assertIn("contact 2 is broken", self.tasks_of(step, broken).error_message)
        self.assertEqual(broken.function, False, "its work was rolled back")
        self.assertTasks(step, self.partners - broken, "done")
        self.assertEqual(
            set((self.partners - broken).mapped("function")),
            {"flow was here"},
            "the parent ran, then the child",
        )
        self.assertTasks(child, self.partners - broken, "done")
        self.assertFalse(self.tasks_of(child, broken))

    def test_retry_runs_a_failed_task_again(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Needs a salesperson",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": (
                    "if records.filtered(lambda r: not r.user_id):\n"
                    "    raise UserError('no salesperson')"
                ),
            }
        )
        flow = self.create_flow()
        step = self.add_step(flow, "action", server_action_id=action.id)
        self.partners[0].user_id = False
        self.enroll(flow)
        self.run_due()
        failed = self.tasks_of(step, self.partners[0])
        self.assertEqual(failed.state, "error")
        self.partners[0].user_id = self.salesperson
        failed.action_retry()
        self.assertEqual(failed.state, "scheduled")
        self.run_due()
        self.assertEqual(failed.state, "done")
        self.assertFalse(failed.error_message)

    def test_deleted_record_cancels_its_enrollment(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action", delay=1, delay_unit="hours")
        later = self.add_step(flow, "action", delay=2, delay_unit="days")
        with self.at(NOW):
            self.enroll(flow)
        gone = self.partners[0]
        gone_id = gone.id
        gone.unlink()
        with self.at(NOW + timedelta(hours=2)):
            self.run_due()
        enrollment = flow.enrollment_ids.filtered(lambda e: e.res_id == gone_id)
        self.assertEqual(enrollment.state, "cancelled")
        self.assertEqual(enrollment.exit_reason, "The record was deleted.")
        self.assertEqual(set(enrollment.task_ids.mapped("state")), {"cancelled"})
        self.assertTasks(step, self.partners[1:], "done")
        self.assertTasks(later, self.partners[1:], "scheduled")

    # -- triggers, delays, expiry ---------------------------------------

    def test_start_delay_and_after_step_delay(self):
        flow = self.create_flow()
        first = self.add_step(flow, "action", delay=2, delay_unit="hours")
        second = self.add_step(
            flow, "action", parent=first, delay=1, delay_unit="weeks"
        )
        with self.at(NOW):
            self.enroll(flow)
            self.assertEqual(
                set(self.tasks_of(first).mapped("scheduled_at")),
                {NOW + timedelta(hours=2)},
            )
            self.run_due()
        self.assertTasks(first, self.partners, "scheduled")
        with self.at(NOW + timedelta(hours=2, minutes=1)):
            self.run_due()
        self.assertTasks(first, self.partners, "done")
        self.assertTasks(second, self.partners, "scheduled")
        self.assertEqual(
            set(self.tasks_of(second).mapped("scheduled_at")),
            {NOW + timedelta(hours=2, minutes=1, weeks=1)},
        )
        with self.at(NOW + timedelta(days=7)):
            self.run_due()
        self.assertTasks(second, self.partners, "scheduled")
        with self.at(NOW + timedelta(days=8)):
            self.run_due()
        self.assertTasks(second, self.partners, "done")
        self.assertEqual(set(flow.enrollment_ids.mapped("state")), {"done"})

    def test_month_delay_keeps_the_calendar(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action", delay=1, delay_unit="months")
        with self.at("2026-01-31 10:00:00"):
            self.enroll(flow)
        self.assertEqual(
            {str(d) for d in self.tasks_of(step).mapped("scheduled_at")},
            {"2026-02-28 10:00:00"},
        )

    def test_event_children_wait_and_negative_children_are_scheduled(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email")
        opened = self.add_step(
            flow,
            "action",
            parent=email,
            trigger="email_opened",
            expiry=3,
            expiry_unit="days",
        )
        not_opened = self.add_step(
            flow,
            "action",
            parent=email,
            trigger="email_not_opened",
            delay=2,
            delay_unit="days",
        )
        with self.at(NOW):
            self.enroll(flow)
            self.run_due()
        self.assertTasks(opened, self.partners, "waiting")
        self.assertEqual(set(self.tasks_of(opened).mapped("scheduled_at")), {False})
        self.assertEqual(
            set(self.tasks_of(opened).mapped("expires_at")), {NOW + timedelta(days=3)}
        )
        self.assertTasks(not_opened, self.partners, "scheduled")
        self.assertEqual(
            set(self.tasks_of(not_opened).mapped("scheduled_at")),
            {NOW + timedelta(days=2)},
        )
        with self.at(NOW + timedelta(days=2, minutes=1)):
            self.run_due()
        self.assertTasks(not_opened, self.partners, "done")
        self.assertTasks(opened, self.partners, "waiting")
        with self.at(NOW + timedelta(days=3, minutes=1)):
            self.run_due()
        self.assertTasks(opened, self.partners, "expired")
        self.assertEqual(set(flow.enrollment_ids.mapped("state")), {"done"})

    def test_activity_children_wait_for_their_event(self):
        flow = self.create_flow()
        activity = self.add_step(flow, "activity")
        done = self.add_step(flow, "action", parent=activity, trigger="activity_done")
        not_done = self.add_step(
            flow,
            "action",
            parent=activity,
            trigger="activity_not_done",
            delay=1,
            delay_unit="days",
        )
        with self.at(NOW):
            self.enroll(flow)
            self.run_due()
        self.assertTasks(done, self.partners, "waiting")
        self.assertTasks(not_done, self.partners, "scheduled")

    def test_root_tasks_enter_with_their_enrollments(self):
        """The enrollments' statement inserts the tasks of the root steps due
        at the same time for every record; a root step counted from a date
        of the record gets its tasks from each record's date. A step's tasks
        follow each other in id order, as the scheduler takes them."""
        flow = self.create_flow()
        at_once = self.add_step(flow)
        later = self.add_step(flow, delay=2, delay_unit="days")
        dated = self.add_step(
            flow,
            delay=2,
            delay_unit="days",
            date_field_id=self.date_field.id,
            date_direction="before",
        )
        self.partners.x_flow_date = "2026-03-20"
        tested = self.partners[0]
        with self.at(NOW):
            flow._enroll(tested.ids, is_test=True)
            self.enroll(flow)
        for step, due in (
            (at_once, NOW),
            (later, NOW + timedelta(days=2)),
            (dated, NOW.replace(day=18, hour=0)),
        ):
            tasks = self.tasks_of(step)
            self.assertEqual(
                sorted(tasks.mapped("res_id")), sorted(self.partners.ids + tested.ids)
            )
            self.assertEqual(set(tasks.mapped("state")), {"scheduled"})
            self.assertEqual(set(tasks.mapped("scheduled_at")), {due}, step.name)
            for task in tasks:
                self.assertEqual(
                    (task.enrollment_id.res_id, task.enrollment_id.is_test),
                    (task.res_id, task.is_test),
                )
            self.assertEqual(
                (tasks.flow_id, tasks.company_id, set(tasks.mapped("model"))),
                (flow, flow.company_id, {"res.partner"}),
            )
            self.assertEqual(
                tasks.filtered("is_test").mapped("res_id"), tested.ids, step.name
            )
        real = [
            sorted(self.tasks_of(step).filtered(lambda t: not t.is_test).ids)
            for step in (at_once, later)
        ]
        self.assertEqual(real[0], list(range(real[0][0], real[0][0] + len(real[0]))))
        self.assertLess(real[0][-1], real[1][0])

    def test_delay_before_a_date_of_the_record(self):
        date_field = self.date_field
        flow = self.create_flow()
        step = self.add_step(
            flow,
            "action",
            delay=2,
            delay_unit="days",
            date_field_id=date_field.id,
            date_direction="before",
        )
        self.partners[0].x_flow_date = "2026-03-10"
        self.partners[1].x_flow_date = False
        (self.partners - self.partners[:2]).x_flow_date = "2026-03-20"
        with self.at(NOW):
            self.enroll(flow)
        due = {t.res_id: t.scheduled_at for t in self.tasks_of(step)}
        self.assertEqual(str(due[self.partners[0].id]), "2026-03-08 00:00:00")
        self.assertEqual(str(due[self.partners[2].id]), "2026-03-18 00:00:00")
        self.assertEqual(
            due[self.partners[1].id], NOW, "no date: due at once, then skipped"
        )
        # The date moves later before the step is due: the step follows it.
        self.partners[0].x_flow_date = "2026-03-15"
        with self.at("2026-03-08 00:30:00"):
            self.run_due()
        self.assertTasks(step, self.partners[1], "skipped")
        task = self.tasks_of(step, self.partners[0])
        self.assertEqual(task.state, "scheduled")
        self.assertEqual(str(task.scheduled_at), "2026-03-13 00:00:00")
        with self.at("2026-03-13 00:01:00"):
            self.run_due()
        self.assertEqual(task.state, "done")

    def test_minutes_before_a_meeting_and_passed_meetings(self):
        flow = self.create_flow()
        step = self.add_step(
            flow,
            "action",
            delay=5,
            delay_unit="minutes",
            date_field_id=self.meeting_field.id,
            date_direction="before",
        )
        self.partners.x_flow_meeting = NOW + timedelta(hours=1)
        self.partners[0].x_flow_meeting = NOW - timedelta(hours=1)
        with self.at(NOW):
            self.enroll(flow)
            self.run_due()
        self.assertTasks(step, self.partners[0], "skipped")
        self.assertIn(
            "already passed", self.tasks_of(step, self.partners[0]).error_message
        )
        later = self.partners[1:]
        self.assertTasks(step, later, "scheduled")
        self.assertEqual(
            set(self.tasks_of(step, later).mapped("scheduled_at")),
            {NOW + timedelta(minutes=55)},
        )
        with self.at(NOW + timedelta(minutes=55)):
            self.run_due()
        self.assertTasks(step, later, "done")

    def test_delay_after_a_date_of_the_record(self):
        flow = self.create_flow()
        step = self.add_step(
            flow,
            "action",
            delay=4,
            delay_unit="days",
            date_field_id=self.date_field.id,
            date_direction="after",
        )
        self.partners.x_flow_date = "2026-03-01"
        with self.at(NOW):
            self.enroll(flow)
            self.assertEqual(
                {str(d) for d in self.tasks_of(step).mapped("scheduled_at")},
                {"2026-03-05 00:00:00"},
            )
        with self.at("2026-03-05 00:00:01"):
            self.run_due()
        self.assertTasks(step, self.partners, "done")

    # -- domains ---------------------------------------------------------

    def test_step_domain_is_checked_when_due(self):
        flow = self.create_flow()
        step = self.add_step(
            flow, "action", domain="[('function', '!=', 'Skip me')]", delay=1
        )
        child = self.add_step(flow, "action", parent=step)
        with self.at(NOW):
            self.enroll(flow)
        self.partners[0].function = "Skip me"
        with self.at(NOW + timedelta(hours=2)):
            self.run_due()
        self.assertTasks(step, self.partners[0], "skipped")
        self.assertFalse(
            self.tasks_of(child, self.partners[0]), "children never created"
        )
        self.assertTasks(step, self.partners[1:], "done")
        self.assertEqual(
            flow.enrollment_ids.filtered(
                lambda e: e.res_id == self.partners[0].id
            ).state,
            "done",
            "a skipped step does not end the journey early",
        )

    def test_flow_domain_is_checked_again_and_leavers_exit(self):
        flow = self.create_flow()
        first = self.add_step(flow, "action", delay=1)
        other = self.add_step(flow, "action", delay=5)
        with self.at(NOW):
            self.enroll(flow)
        self.partners[0].name = "Renamed"
        with self.at(NOW + timedelta(hours=2)):
            self.run_due()
        self.assertTasks(first, self.partners[0], "skipped")
        enrollment = flow.enrollment_ids.filtered(
            lambda e: e.res_id == self.partners[0].id
        )
        self.assertEqual(enrollment.state, "exited")
        self.assertTasks(other, self.partners[0], "cancelled")
        self.assertTasks(other, self.partners[1:], "scheduled")

    def test_tasks_of_a_done_flow_never_run(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action")
        self.enroll(flow)
        flow.action_done()
        self.run_due()
        self.assertTasks(step, self.partners, "cancelled")
        self.assertEqual(set(self.partners.mapped("function")), {False})

    def test_cron_entry_point_runs_due_tasks(self):
        flow = self.create_flow()
        step = self.add_step(flow, "action")
        self.enroll(flow)
        self.env["automation.flow.task"]._cron_process_due_tasks()
        self.assertTasks(step, self.partners, "done")

    def test_retryable_error_schedules_the_task_again_then_gives_up(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "Remote service down",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": "raise RetryableTaskError('service down', seconds=120)",
            }
        )
        flow = self.create_flow()
        step = self.add_step(flow, "action", server_action_id=action.id, max_attempts=2)
        with self.at(NOW):
            self.enroll(flow)
            self.run_due()
        tasks = self.tasks_of(step)
        self.assertTasks(step, self.partners, "scheduled")
        self.assertEqual(set(tasks.mapped("attempt")), {1})
        self.assertEqual(
            set(tasks.mapped("scheduled_at")), {NOW + timedelta(minutes=2)}
        )
        self.assertIn("service down", tasks[0].error_message)
        with self.at(NOW + timedelta(minutes=3)):
            self.run_due()
        self.assertTasks(step, self.partners, "error")
        self.assertIn("Gave up after 2 attempts", tasks[0].error_message)
