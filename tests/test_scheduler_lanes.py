# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AutomationFlowCase

LANES = "automation_flow.scheduler_lanes"


@tagged("post_install", "-at_install")
class TestSchedulerLanes(AutomationFlowCase):
    """Lanes: copies of the engine's crons that several cron threads run at
    once (the real thing, two Odoo servers, is phase 7 of bench/run.py)."""

    def set_lanes(self, value):
        self.env["ir.config_parameter"].set_param(LANES, value)

    def lanes(self, cron):
        return self.env["ir.cron"]._automation_flow_lanes(cron)

    def test_lanes_follow_the_parameter(self):
        main = self.env.ref("automation_flow.cron_process_due_tasks")
        self.assertEqual(self.lanes("cron_process_due_tasks"), main)
        self.set_lanes("3")
        for cron in ("cron_process_due_tasks", "cron_enroll_periodic"):
            lanes = self.lanes(cron)
            self.assertEqual(len(lanes), 3)
            self.assertEqual(lanes[0], self.env.ref(f"automation_flow.{cron}"))
            self.assertEqual(
                lanes[2].name, f"{lanes[0].name} (lane 3)", "numbered after the cron"
            )
            self.assertTrue(all(lane.active for lane in lanes))
            self.assertEqual(set(lanes.mapped("code")), {lanes[0].code})
        lane_3 = self.lanes("cron_process_due_tasks")[2]
        self.set_lanes("2")
        self.assertEqual(len(self.lanes("cron_process_due_tasks")), 2)
        self.assertFalse(lane_3.exists(), "a lane removed is deleted")
        # Removing the parameter goes back to the one cron.
        self.env["ir.config_parameter"].search([("key", "=", LANES)]).unlink()
        self.assertEqual(self.lanes("cron_process_due_tasks"), main)
        self.assertEqual(len(self.lanes("cron_enroll_periodic")), 1)

    def test_a_wrong_number_of_lanes_is_refused(self):
        self.set_lanes("2")
        for value in ("many", "0", "33"):
            with self.assertRefused(ValidationError, "whole number of lanes between 1"):
                self.set_lanes(value)
            self.assertEqual(len(self.lanes("cron_process_due_tasks")), 2)

    def test_the_scheduler_wakes_the_other_lanes_when_more_than_a_batch_is_due(self):
        self.set_lanes("3")
        self.env["ir.config_parameter"].set_param("automation_flow.batch_size", "2")
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow)._enroll()
        main, *others = self.lanes("cron_process_due_tasks")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search([]).ids
        self.env["automation.flow.task"].sudo().with_context(
            cron_id=main.id
        )._process_due_tasks()
        self.assertTasks(step, self.partners, "done")
        woken = Trigger.search([("id", "not in", before)]).mapped("cron_id")
        self.assertEqual(woken.ids, [lane.id for lane in others])

    def test_one_batch_due_wakes_no_other_lane(self):
        self.set_lanes("2")
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)._enroll()
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([])
        self.run_due()
        self.assertEqual(Trigger.search_count([]), before)

    def test_enrollment_lanes_each_enroll_their_share(self):
        self.set_lanes("2")
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow, periodic=True)
        Flow = self.env["automation.flow"].sudo()
        first, second = self.lanes("cron_enroll_periodic")
        Flow.with_context(cron_id=second.id)._cron_enroll_periodic()
        enrolled = flow.enrollment_ids.mapped("res_id")
        self.assertTrue(enrolled)
        self.assertEqual({res_id % 2 for res_id in enrolled}, {1})
        self.assertFalse(flow.last_enroll_date, "the first lane keeps the books")
        Flow.with_context(cron_id=first.id)._cron_enroll_periodic()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), self.partners.ids
        )
        self.assertTrue(flow.last_enroll_date)
        # Outside a cron (Run now, a test), one run enrolls everything.
        self.assertEqual(
            self.env["ir.cron"]._automation_flow_lane("cron_enroll_periodic"), (0, 1)
        )

    def test_starting_a_flow_wakes_every_enrollment_lane(self):
        self.set_lanes("2")
        flow = self.create_flow()
        self.add_step(flow)
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search([]).ids
        self.start(flow, periodic=True)
        woken = Trigger.search([("id", "not in", before)]).mapped("cron_id")
        self.assertEqual(woken, self.lanes("cron_enroll_periodic"))
