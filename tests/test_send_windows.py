# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Send windows in the recipient's time zone, working-day delays and pause
dates: tasks due when they may not go stay scheduled, moved to when they may,
with the reason."""

from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import AUTOMATION_MANAGER, AutomationFlowCase

# Saturday 7 March 2026, 23:00 in Madrid (UTC+1).
SATURDAY_NIGHT = datetime(2026, 3, 7, 22, 0)
# Monday 9 March 2026, 09:00 in Madrid; 09:00 in New York is 13:00 UTC (the
# United States moved their clocks on 8 March).
MONDAY_MADRID = datetime(2026, 3, 9, 8, 0)
MONDAY_NEW_YORK = datetime(2026, 3, 9, 13, 0)
OFFICE_HOURS = {
    "window_mode": "hours",
    "window_hour_from": 9.0,
    "window_hour_to": 18.0,
}


@tagged("post_install", "-at_install")
class TestSendWindows(AutomationFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Europe/Madrid"
        cls.partners.tz = False
        cls.madrid, cls.new_york = cls.partners[:2]
        cls.madrid.tz = "Europe/Madrid"
        cls.new_york.tz = "America/New_York"
        cls.env["res.lang"]._activate_lang("es_ES")

    def windowed_flow(self, partners, step_type="email", **window):
        flow = self.create_flow(
            domain=repr([("id", "in", partners.ids)]), **(window or OFFICE_HOURS)
        )
        step = self.add_step(flow, step_type)
        self.start(flow)
        return flow, step

    def enroll_and_run(self, flow, at):
        with self.at(at):
            flow._enroll()
            self.run_due()

    def due_times(self, step, records):
        self.env.invalidate_all()
        return {task.res_id: task.scheduled_at for task in self.tasks_of(step, records)}

    def test_saturday_night_waits_for_monday_in_the_recipients_zone(self):
        contacts = self.madrid | self.new_york | self.partners[2]
        flow, step = self.windowed_flow(contacts)
        self.enroll_and_run(flow, SATURDAY_NIGHT)
        self.assertTasks(step, contacts, "scheduled")
        # The New York contact of a Madrid company at 09:00 New York; the
        # contact without a time zone at the company's 09:00.
        self.assertEqual(
            self.due_times(step, contacts),
            {
                self.madrid.id: MONDAY_MADRID,
                self.new_york.id: MONDAY_NEW_YORK,
                self.partners[2].id: MONDAY_MADRID,
            },
        )
        task = self.tasks_of(step, self.madrid)
        self.assertEqual(
            task.error_message,
            "Waiting for the send window: Monday 9 March, 09:00 (Europe/Madrid).",
        )
        self.assertEqual(task.window_deferred_at, SATURDAY_NIGHT)
        # The reader's language, the recipient's zone.
        self.assertIn(
            "lunes 9 marzo, 09:00 (America/New_York)",
            self.tasks_of(step, self.new_york).with_context(lang="es_ES").error_message,
        )
        # The record's journey says it too.
        [journey] = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", self.madrid.id
        )
        self.assertEqual(
            [(nxt["state"], nxt["at"], nxt["reason"]) for nxt in journey["next"]],
            [("scheduled", "2026-03-09 08:00:00", task.error_message)],
        )
        # Sunday: nothing is due. Monday 09:00 Madrid: the Madrid contacts go,
        # the New York one waits for its own 09:00.
        with self.at(MONDAY_MADRID):
            self.run_due()
        self.assertTasks(step, self.madrid | self.partners[2], "done")
        self.assertTasks(step, self.new_york, "scheduled")
        self.assertFalse(self.tasks_of(step, self.madrid).error_message)
        with self.at(MONDAY_NEW_YORK):
            self.run_due()
        self.assertTasks(step, contacts, "done")
        self.assertEqual(step.window_deferred_count, 3)
        [card] = flow.get_step_tree()["steps"]
        self.assertIn(
            ("deferred", "Deferred", 3),
            [
                (event["event"], event["label"], event["count"])
                for event in card["events"]
            ],
        )

    def test_holding_costs_the_same_queries_whatever_the_batch_size(self):
        counts = {}
        # The first size warms the caches up; the others must cost the same.
        for size in (1, 2, 6):
            flow, step = self.windowed_flow(self.partners[:size])
            with self.at(SATURDAY_NIGHT):
                flow._enroll()
                self.env.flush_all()
                start = self.cr.sql_log_count
                self.run_due()
                counts[size] = self.cr.sql_log_count - start
            self.assertTasks(step, self.partners[:size], "scheduled")
        self.assertEqual(counts[2], counts[6], counts)

    def test_inside_the_window_runs_at_once(self):
        flow, step = self.windowed_flow(self.madrid)
        self.enroll_and_run(flow, datetime(2026, 3, 9, 10, 0))
        self.assertTasks(step, self.madrid, "done")
        self.assertEqual(step.window_deferred_count, 0)

    def test_a_holiday_of_the_calendar_is_skipped(self):
        calendar = self.env["resource.calendar"].create(
            {
                "name": "Office, 9 to 18",
                "tz": "Europe/Madrid",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 9,
                            "hour_to": 18,
                        },
                    )
                    for day in range(5)
                ],
            }
        )
        # Monday 9 March, all day in Madrid, stored in UTC as Odoo does.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Local holiday",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 3, 8, 23, 0),
                "date_to": datetime(2026, 3, 9, 22, 59, 59),
            }
        )
        flow, step = self.windowed_flow(
            self.madrid, window_mode="calendar", window_calendar_id=calendar.id
        )
        self.enroll_and_run(flow, SATURDAY_NIGHT)
        self.assertEqual(
            self.due_times(step, self.madrid),
            {self.madrid.id: datetime(2026, 3, 10, 8, 0)},
        )

    def test_the_window_follows_daylight_saving_time(self):
        every_day = {**OFFICE_HOURS, "window_saturday": True, "window_sunday": True}
        flow, step = self.windowed_flow(self.madrid, **every_day)
        # Saturday 28 March 21:00 in Madrid; the clocks go forward that night:
        # Sunday 09:00 is 07:00 UTC.
        self.enroll_and_run(flow, datetime(2026, 3, 28, 20, 0))
        self.assertEqual(
            self.due_times(step, self.madrid),
            {self.madrid.id: datetime(2026, 3, 29, 7, 0)},
        )
        with self.at(datetime(2026, 3, 29, 6, 59)):
            self.run_due()
        self.assertTasks(step, self.madrid, "scheduled")
        with self.at(datetime(2026, 3, 29, 7, 0)):
            self.run_due()
        self.assertTasks(step, self.madrid, "done")

    def test_a_step_overrides_the_flow_window(self):
        flow, email = self.windowed_flow(self.madrid)
        # An email sent at any time despite the flow's window; a server action
        # (which contacts nobody: no window of its own) held by its own.
        email.window_mode = "always"
        action = self.add_step(flow, "action")
        late_action = self.add_step(
            flow,
            "action",
            window_mode="hours",
            window_hour_from=8,
            window_hour_to=10,
            window_saturday=True,
        )
        self.enroll_and_run(flow, SATURDAY_NIGHT)
        self.assertTasks(email, self.madrid, "done")
        self.assertTasks(action, self.madrid, "done")
        self.assertTasks(late_action, self.madrid, "scheduled")
        # The step's window: Monday 08:00 Madrid (Sunday is not ticked).
        self.assertEqual(
            self.due_times(late_action, self.madrid),
            {self.madrid.id: datetime(2026, 3, 9, 7, 0)},
        )

    def test_delay_in_working_days(self):
        flow, parent = self.windowed_flow(
            self.madrid, step_type="action", window_mode="always"
        )
        child = self.add_step(
            flow, "action", parent=parent, delay=2, delay_unit="working_days"
        )
        self.assertEqual(
            child.schedule_description, "2 working days after the previous step"
        )
        # Expiries (an event within…) stay in calendar time.
        self.assertNotIn("working_days", dict(child._fields["expiry_unit"].selection))
        # Friday 6 March 17:00 in Madrid + 2 working days: Tuesday 17:00.
        self.enroll_and_run(flow, datetime(2026, 3, 6, 16, 0))
        self.assertEqual(
            self.due_times(child, self.madrid),
            {self.madrid.id: datetime(2026, 3, 10, 16, 0)},
        )

    def test_working_days_count_the_days_of_the_window(self):
        # Working days are the window's days: Monday to Thursday here.
        flow, parent = self.windowed_flow(
            self.madrid, step_type="action", **OFFICE_HOURS, window_friday=False
        )
        child = self.add_step(
            flow, "email", parent=parent, delay=1, delay_unit="working_days"
        )
        # Thursday 5 March 10:00 Madrid + 1 working day: Monday 10:00.
        self.enroll_and_run(flow, datetime(2026, 3, 5, 9, 0))
        self.assertEqual(
            self.due_times(child, self.madrid),
            {self.madrid.id: datetime(2026, 3, 9, 9, 0)},
        )

    def test_working_days_only_count_from_the_trigger(self):
        flow, email = self.windowed_flow(self.madrid)
        with self.assertRefused(
            ValidationError, "cannot count its delay in working days"
        ):
            self.add_step(
                flow,
                "action",
                parent=email,
                trigger="email_not_opened",
                delay=2,
                delay_unit="working_days",
            )

    def test_pause_dates_hold_and_release(self):
        flow, email = self.windowed_flow(self.madrid)
        action = self.add_step(flow, "action")
        flow.pause_ids = [
            (
                0,
                0,
                {
                    "name": "Christmas",
                    "date_from": date(2026, 12, 24),
                    "date_to": date(2026, 12, 31),
                },
            ),
            (0, 0, {"date_from": date(2027, 1, 1), "date_to": date(2027, 1, 1)}),
        ]
        self.enroll_and_run(flow, datetime(2026, 12, 28, 10, 0))
        # Every step of the flow waits, the email also for its window: the
        # pause ends on Saturday 2 January, the window opens on Monday 4.
        self.assertTasks(email, self.madrid, "scheduled")
        self.assertTasks(action, self.madrid, "scheduled")
        self.assertEqual(
            self.due_times(action, self.madrid),
            {self.madrid.id: datetime(2027, 1, 1, 23, 0)},
        )
        self.assertEqual(
            self.tasks_of(action).error_message,
            "The flow is paused until Saturday 2 January, 00:00 (Europe/Madrid).",
        )
        self.assertEqual(
            self.tasks_of(email).error_message,
            "The flow is paused until Monday 4 January, 09:00 (Europe/Madrid).",
        )
        with self.at(datetime(2027, 1, 1, 23, 0)):
            self.run_due()
        self.assertTasks(action, self.madrid, "done")
        self.assertTasks(email, self.madrid, "scheduled")
        with self.at(datetime(2027, 1, 4, 8, 0)):
            self.run_due()
        self.assertTasks(email, self.madrid, "done")
        # A copy of the flow keeps its window and its pauses.
        copy = flow.copy()
        self.assertEqual(copy.window_mode, "hours")
        self.assertEqual(copy.pause_ids.mapped("name"), ["Christmas", False])
        self.assertEqual(copy.pause_end, date(2027, 1, 1))

    def test_test_enrollments_ignore_windows(self):
        flow, email = self.windowed_flow(self.madrid)
        with self.at(SATURDAY_NIGHT):
            flow._enroll(self.madrid.ids, is_test=True)
            self.run_due()
        self.assertTasks(email, self.madrid, "done")

    def test_configuration_errors_are_refused(self):
        cases = [
            (
                {"window_mode": "hours", "window_hour_from": 18, "window_hour_to": 9},
                "must open before it closes",
            ),
            (
                {"window_mode": "hours", "window_hour_from": 9, "window_hour_to": 9},
                "must open before it closes",
            ),
            (
                {
                    "window_mode": "hours",
                    **dict.fromkeys(
                        [
                            "window_monday",
                            "window_tuesday",
                            "window_wednesday",
                            "window_thursday",
                            "window_friday",
                        ],
                        False,
                    ),
                },
                "has no day of the week",
            ),
            ({"window_mode": "calendar"}, "Choose the working calendar"),
        ]
        for values, message in cases:
            with (
                self.subTest(values=values),
                self.assertRefused(ValidationError, message),
            ):
                self.create_flow(**values)
        flow = self.create_flow()
        with self.assertRefused(ValidationError, "ends before it starts"):
            flow.pause_ids = [
                (0, 0, {"date_from": date(2026, 12, 31), "date_to": date(2026, 12, 24)})
            ]
        with self.assertRefused(ValidationError, "must open before it closes"):
            self.add_step(
                flow,
                "email",
                window_mode="hours",
                window_hour_from=20,
                window_hour_to=8,
            )

    def test_an_automation_manager_without_settings_configures_it(self):
        manager = new_test_user(
            self.env,
            login="window_manager",
            groups=f"base.group_user,{AUTOMATION_MANAGER}",
        )
        self.assertFalse(manager.has_group("base.group_system"))
        calendar = self.env.ref("resource.resource_calendar_std")
        env = self.env(user=manager)
        tz_field = env["ir.model.fields"].search(
            [("model", "=", "res.partner"), ("name", "=", "tz")]
        )
        flow = env["automation.flow"].create(
            {
                "name": "Configured by a manager",
                "model_id": self.partner_model.id,
                "domain": repr([("id", "=", self.new_york.id)]),
                "window_mode": "calendar",
                "window_calendar_id": calendar.id,
                "window_tz_field_id": tz_field.id,
                "pause_ids": [
                    (
                        0,
                        0,
                        {"date_from": date(2026, 8, 1), "date_to": date(2026, 8, 31)},
                    )
                ],
            }
        )
        step = env["automation.flow.step"].create(
            {
                "name": "Call",
                "flow_id": flow.id,
                "step_type": "activity",
                "activity_type_id": self.todo.id,
                "activity_user_id": manager.id,
            }
        )
        step.write({"window_mode": "hours", "window_hour_from": 10})
        flow.pause_ids.date_to = date(2026, 9, 1)
        self.assertEqual(flow.pause_end, date(2026, 9, 1))
        flow.action_start()
        self.enroll_and_run(flow, SATURDAY_NIGHT)
        # The step's own window: Monday 10:00 New York.
        self.assertEqual(
            self.due_times(step, self.new_york),
            {self.new_york.id: datetime(2026, 3, 9, 14, 0)},
        )
