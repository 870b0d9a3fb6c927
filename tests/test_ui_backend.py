# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from ..engine import triggers


@tagged("post_install", "-at_install")
class TestUiBackend(TransactionCase):
    """What the backend UI reads from the server: schedules in words, the
    designer's tree and triggers, statistics, trend, test wizard, journeys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": "UI Ann", "email": "ann@ui.automation.example.com"},
                {"name": "UI Bob", "email": "bob@ui.automation.example.com"},
            ]
        )
        cls.flow = cls.env["automation.flow"].create(
            {
                "name": "UI flow",
                "model_id": cls.env.ref("base.model_res_partner").id,
                "domain": "[('email', 'ilike', 'ui.automation.example.com')]",
            }
        )
        cls.call = cls.env["automation.flow.step"].create(
            {
                "name": "Call",
                "flow_id": cls.flow.id,
                "step_type": "activity",
                "trigger": "start",
                "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                "activity_user_type": "fixed",
                "activity_user_id": cls.env.ref("base.user_admin").id,
            }
        )
        cls.follow_up = cls.env["automation.flow.step"].create(
            {
                "name": "Follow up",
                "flow_id": cls.flow.id,
                "parent_id": cls.call.id,
                "step_type": "activity",
                "trigger": "activity_done",
                "delay": 1,
                "delay_unit": "days",
                "expiry": 2,
                "expiry_unit": "weeks",
                "activity_type_id": cls.env.ref("mail.mail_activity_data_todo").id,
                "activity_user_type": "fixed",
                "activity_user_id": cls.env.ref("base.user_admin").id,
            }
        )

    def test_schedule_description(self):
        self.assertEqual(self.call.schedule_description, "At enrollment")
        self.assertEqual(
            self.follow_up.schedule_description,
            "1 day after the activity is done (waits at most 2 weeks)",
        )
        self.follow_up.write({"trigger": "activity_not_done", "delay": 3})
        self.assertEqual(
            self.follow_up.schedule_description,
            "If the activity is not done within 3 days",
        )
        self.call.write(
            {
                "delay": 5,
                "delay_unit": "minutes",
                "date_field_id": self.env.ref("base.field_res_partner__create_date").id,
                "date_direction": "before",
            }
        )
        self.assertEqual(self.call.schedule_description, "5 minutes before Created on")

    def test_trigger_options_fit_the_parent(self):
        Step = self.env["automation.flow.step"]
        self.assertEqual(Step.get_trigger_options(), [("start", "At enrollment")])
        options = dict(Step.get_trigger_options("email"))
        self.assertEqual(
            set(options),
            {
                t.key
                for t in triggers.triggers_for_parent(Step._step_catalogue(), "email")
            },
        )
        self.assertEqual(options["email_opened"], "Email opened")
        self.assertNotIn("activity_done", options)

    def test_step_tree(self):
        self.flow.action_start_on_demand()
        self.flow.action_run()
        tree = self.flow.get_step_tree()
        steps = {step["id"]: step for step in tree["steps"]}
        self.assertEqual(steps[self.follow_up.id]["parent_id"], self.call.id)
        self.assertEqual(steps[self.call.id]["type_icon"], "fa-tasks")
        self.assertEqual(
            steps[self.call.id]["counters"],
            [{"state": "scheduled", "label": "Scheduled", "count": 2}],
        )
        self.assertEqual(steps[self.follow_up.id]["counters"], [])
        self.assertIn("activity_done", dict(tree["triggers"]["activity"]))
        self.assertEqual(tree["triggers"]["root"], [("start", "At enrollment")])

    def test_start_buttons(self):
        self.flow.action_start_periodic()
        self.assertRecordValues(self.flow, [{"state": "periodic", "is_periodic": True}])
        other = self.flow.copy()
        other.action_start_on_demand()
        self.assertRecordValues(other, [{"state": "on_demand", "is_periodic": False}])

    def test_statistics_leave_tests_apart(self):
        Report = self.env["automation.flow.task.report"]
        self.flow.action_start_on_demand()
        self.flow.action_run()
        self.env["automation.flow.task"]._process_due_tasks()
        self.flow._enroll(self.partners[:1].ids, is_test=True)
        self.env["automation.flow.task"]._process_due_tasks()
        Report.invalidate_model()
        groups = Report._read_group(
            [("flow_id", "=", self.flow.id)],
            ["step_id", "state"],
            ["task_count:sum", "done_count:sum", "waiting_count:sum"],
        )
        self.assertEqual(
            sorted((step.name, state, *counts) for step, state, *counts in groups),
            [("Call", "done", 2, 2, 0), ("Follow up", "waiting", 2, 0, 2)],
        )

    def test_enrollment_trend(self):
        with freeze_time("2026-03-01 10:00:00"):
            self.flow.action_start_on_demand()
            self.flow._enroll(self.partners[:1].ids)
        with freeze_time("2026-03-10 10:00:00"):
            self.flow._enroll(self.partners[1:].ids)
            self.flow.invalidate_recordset(["enrollment_trend"])
            trend = self.flow.enrollment_trend
        self.assertEqual(len(trend), 14)
        self.assertEqual(trend[-1], 1, "enrolled today")
        self.assertEqual(trend[-10], 1, "enrolled nine days ago")
        self.assertEqual(sum(trend), 2)

    def test_test_wizard_runs_a_draft_flow_step_by_step(self):
        partner = self.partners[0]
        wizard = self.env["automation.flow.test"].create(
            {"flow_id": self.flow.id, "res_id": partner.id}
        )
        wizard.action_enroll()
        self.assertTrue(wizard.enrollment_id.is_test)
        self.assertEqual(self.flow.state, "draft")
        wizard.action_run_next()
        call_task = wizard.task_ids.filtered(lambda t: t.step_id == self.call)
        self.assertEqual(call_task.state, "done")
        self.assertEqual(call_task.activity_id.res_id, partner.id)
        follow_up = wizard.task_ids.filtered(lambda t: t.step_id == self.follow_up)
        self.assertEqual(follow_up.state, "waiting")
        self.assertEqual(self.call.task_done_count, 0, "tests stay out of counters")

    def test_test_wizard_explains_a_record_left_out(self):
        outsider = self.env["res.partner"].create({"name": "Nobody"})
        wizard = self.env["automation.flow.test"].create(
            {"flow_id": self.flow.id, "res_id": outsider.id}
        )
        with self.assertRaisesRegex(Exception, "does not match the flow's domain"):
            wizard.action_enroll()

    def test_journeys(self):
        partner = self.partners[0]
        self.flow.action_start_on_demand()
        self.flow.action_run()
        self.env["automation.flow.task"]._process_due_tasks()
        journeys = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", partner.id
        )
        self.assertEqual(len(journeys), 1)
        journey = journeys[0]
        self.assertEqual(journey["flow"], "UI flow")
        self.assertEqual(journey["state_label"], "Running")
        self.assertEqual(
            [(task["step"], task["state"]) for task in journey["tasks"]],
            [("Call", "done")],
        )
        self.assertEqual(
            [(nxt["step"], nxt["state"]) for nxt in journey["next"]],
            [("Follow up", "waiting")],
        )
        self.assertEqual(
            journey["next"][0]["schedule"],
            "1 day after the activity is done (waits at most 2 weeks)",
        )
        self.assertFalse(
            self.env["automation.flow.enrollment"].get_journeys(
                "res.partner", self.partners[1].create({"name": "New"}).id
            )
        )
