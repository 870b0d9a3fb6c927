# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, freeze_time, tagged

from .common import HOUR, NOW, AutomationFlowEventCase


@tagged("post_install", "-at_install")
class TestEmailStatistics(AutomationFlowEventCase, HttpCase):
    """Real events (opens and clicks through the public routes, a reply and
    a bounce through the mail gateway) reach every statistic: the step's and
    the flow's counters and rates, both reports, the designer and the
    journeys."""

    def setUp(self):
        super().setUp()
        self.tasks = self.queue_emails()
        self.ann, self.bob = self.tasks
        pixel, links = self.tracking_paths(self.ann)
        self.send_emails(self.tasks)
        for path, at in ((pixel, NOW + HOUR), (links[0], NOW + 2 * HOUR)):
            with freeze_time(at):
                self.url_open(path, allow_redirects=False)
        # The requests wrote through the test cursor: read them afresh.
        self.env.invalidate_all()
        self.reply(self.ann, at=NOW + 3 * HOUR)
        self.bounce(self.bob, at=NOW + HOUR)
        # A test enrollment of Ann opens its email too: never counted.
        with freeze_time(NOW):
            self.flow._enroll(self.partners[:1].ids, is_test=True)
        self.run_scheduler(NOW)
        test_task = self.env["automation.flow.task"].search(
            [("step_id", "=", self.email_step.id), ("is_test", "=", True)]
        )
        self.send_emails(test_task)
        test_task._on_event("opened", NOW + HOUR)
        self.env.flush_all()

    def test_step_and_flow_counters_and_rates(self):
        expected = {
            "email_sent_count": 2,
            "email_opened_count": 1,
            "email_clicked_count": 1,
            "email_replied_count": 1,
            "email_bounced_count": 1,
            "email_failed_count": 0,
            "email_open_rate": 50.0,
            "email_click_rate": 50.0,
            "email_reply_rate": 50.0,
            "email_bounce_rate": 50.0,
        }
        self.assertRecordValues(self.email_step, [expected])
        self.assertRecordValues(self.flow, [expected])
        # Steps without sent emails have no rate, not a division by zero.
        child = self.children["email_opened"]
        self.assertRecordValues(
            child, [{"email_sent_count": 0, "email_open_rate": 0.0}]
        )

    def test_task_report_counts_events_per_task(self):
        Report = self.env["automation.flow.task.report"]
        [(sent, opened, clicked, replied, bounced, failed)] = Report._read_group(
            [("step_id", "=", self.email_step.id)],
            [],
            [
                "sent_count:sum",
                "opened_count:sum",
                "clicked_count:sum",
                "replied_count:sum",
                "bounced_count:sum",
                "failed_count:sum",
            ],
        )
        self.assertEqual(
            (sent, opened, clicked, replied, bounced, failed), (2, 1, 1, 1, 1, 0)
        )

    def test_event_report_per_day_and_event(self):
        Report = self.env["automation.flow.event.report"]
        groups = Report._read_group(
            [("flow_id", "=", self.flow.id)], ["date:day", "event"], ["event_count:sum"]
        )
        self.assertEqual(
            sorted(groups),
            [
                (NOW.date(), "bounced", 1),
                (NOW.date(), "clicked", 1),
                (NOW.date(), "opened", 1),
                (NOW.date(), "replied", 1),
                (NOW.date(), "sent", 2),
            ],
        )
        # A day later, another open: counted on its own day.
        with freeze_time(NOW + timedelta(days=1)):
            self.bob._on_event("opened")
        self.env.flush_all()
        self.assertEqual(
            Report.search_count(
                [
                    ("event", "=", "opened"),
                    ("date", "=", NOW.date() + timedelta(days=1)),
                    ("flow_id", "=", self.flow.id),
                ]
            ),
            1,
        )

    def test_designer_events(self):
        steps = {step["id"]: step for step in self.flow.get_step_tree()["steps"]}
        events = steps[self.email_step.id]["events"]
        self.assertEqual(
            [(e["event"], e["count"], e["rate"]) for e in events],
            [
                ("sent", 2, None),
                ("opened", 1, 50.0),
                ("clicked", 1, 50.0),
                ("replied", 1, 50.0),
                ("bounced", 1, 50.0),
            ],
            "failed is zero, so left out",
        )
        self.assertEqual(events[1]["label"], "Opened")
        self.assertEqual(events[1]["icon"], "fa-envelope-open-o")
        self.assertEqual(steps[self.children["email_opened"].id]["events"], [])

    def test_journey_outcomes(self):
        Enrollment = self.env["automation.flow.enrollment"]
        [ann_journey] = [
            journey
            for journey in Enrollment.get_journeys("res.partner", self.partners[0].id)
            if not journey["is_test"]
        ]
        [email_task] = [t for t in ann_journey["tasks"] if t["id"] == self.ann.id]
        self.assertEqual(email_task["email_state"], "sent")
        at = fields.Datetime.to_string
        self.assertEqual(
            [(e["event"], e["at"]) for e in email_task["events"]],
            [
                ("sent", at(NOW)),
                ("opened", at(NOW + HOUR)),
                ("clicked", at(NOW + 2 * HOUR)),
                ("replied", at(NOW + 3 * HOUR)),
            ],
        )
        [bob_journey] = Enrollment.get_journeys("res.partner", self.partners[1].id)
        [bob_email] = [t for t in bob_journey["tasks"] if t["id"] == self.bob.id]
        self.assertEqual(bob_email["email_state"], "bounced")
        self.assertEqual([e["event"] for e in bob_email["events"]], ["sent", "bounced"])


@tagged("post_install", "-at_install")
class TestActivityStatistics(TransactionCase):
    """Activities done, cancelled and overdue, counted per step, in the
    report, the designer and the journeys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [{"name": name} for name in ("Done", "Cancelled", "Overdue", "Later")]
        )
        cls.flow = cls.env["automation.flow"].create(
            {
                "name": "Calls",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "domain": repr([("id", "in", cls.partners.ids)]),
            }
        )
        cls.step = cls.env["automation.flow.step"].create(
            {
                "name": "Call",
                "flow_id": cls.flow.id,
                "step_type": "activity",
                "trigger": "start",
                "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                "activity_user_id": cls.env.ref("base.user_admin").id,
            }
        )
        cls.flow.action_start_on_demand()
        cls.flow.action_run()
        cls.env["automation.flow.task"]._process_due_tasks()
        tasks = cls.env["automation.flow.task"].search([("step_id", "=", cls.step.id)])
        cls.done, cls.cancelled, cls.overdue, cls.later = tasks.sorted(
            lambda task: cls.partners.ids.index(task.res_id)
        )
        cls.done.activity_id.action_feedback(feedback="Called")
        cls.cancelled.activity_id.unlink()
        # Real dates: the report compares with PostgreSQL's current date.
        today = fields.Date.today()
        cls.overdue.activity_id.date_deadline = today - timedelta(days=2)
        cls.later.activity_id.date_deadline = today + timedelta(days=2)
        cls.env.flush_all()

    def test_step_counters(self):
        self.assertRecordValues(
            self.step,
            [
                {
                    "activity_done_count": 1,
                    "activity_cancelled_count": 1,
                    "activity_overdue_count": 1,
                }
            ],
        )

    def test_task_report(self):
        [(done, cancelled, overdue)] = self.env[
            "automation.flow.task.report"
        ]._read_group(
            [("flow_id", "=", self.flow.id)],
            [],
            [
                "activity_done_count:sum",
                "activity_cancelled_count:sum",
                "activity_overdue_count:sum",
            ],
        )
        self.assertEqual((done, cancelled, overdue), (1, 1, 1))

    def test_designer_events(self):
        [step] = self.flow.get_step_tree()["steps"]
        self.assertEqual(
            [(e["event"], e["label"], e["count"]) for e in step["events"]],
            [
                ("activity_done", "Done", 1),
                ("activity_cancelled", "Cancelled", 1),
                ("activity_overdue", "Overdue", 1),
            ],
        )

    def test_journey_outcomes(self):
        Enrollment = self.env["automation.flow.enrollment"]
        outcomes = {}
        for partner in self.partners:
            [journey] = Enrollment.get_journeys("res.partner", partner.id)
            [task] = journey["tasks"]
            outcomes[partner.name] = [e["event"] for e in task["events"]]
        self.assertEqual(
            outcomes,
            {
                "Done": ["activity_done"],
                "Cancelled": ["activity_cancelled"],
                "Overdue": [],
                "Later": [],
            },
        )
