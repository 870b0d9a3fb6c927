# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..engine import states
from .common import NOW, AutomationFlowCase


@tagged("post_install", "-at_install")
class TestTaskTransitions(AutomationFlowCase):
    """Every writer of a task's state keeps to ``states.TASK_TRANSITIONS``."""

    def setUp(self):
        super().setUp()
        flow = self.create_flow()
        self.step = self.add_step(flow, "action")
        self.start(flow)
        with self.at(NOW):
            flow._enroll(self.partners[:2].ids)
        self.done, self.pending = self.tasks_of(self.step)
        self.done._set_done()

    def test_ended_tasks_stay_as_they_ended(self):
        for move in (
            lambda: self.done._set_scheduled(NOW),
            lambda: self.done._set_cancelled(),
            lambda: self.done._set_skipped("late"),
            lambda: (self.done | self.pending)._set_done(),
        ):
            with self.subTest(move=move), self.assertRaises(UserError) as caught:
                move()
            self.assertIn(str(self.done.id), str(caught.exception))
        self.assertEqual(self.done.state, states.TASK_DONE)
        self.assertEqual(self.pending.state, states.TASK_SCHEDULED, "all or nothing")

    def test_allowed_moves(self):
        self.pending._set_error("boom")
        self.pending._set_scheduled(NOW)  # the Retry button
        self.done._set_error("the email could not be sent")
        self.assertEqual(
            (self.done | self.pending).mapped("state"),
            [states.TASK_ERROR, states.TASK_SCHEDULED],
        )

    def test_sql_writers_take_only_the_states_that_may_move(self):
        Task = self.env["automation.flow.task"]
        Task._cancel_pending("flow_id", self.step.flow_id.ids)
        self.assertEqual(self.done.state, states.TASK_DONE)
        self.assertEqual(self.pending.state, states.TASK_CANCELLED)
