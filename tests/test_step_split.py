# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import split, states
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestSplitStep(AutomationFlowCase):
    """A random split sends each enrollment down one branch, decided by a
    hash of the enrollment and the step (engine/split.py holds the 10,000
    record check); only that branch's steps get a task."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "split_manager", AUTOMATION_MANAGER)

    def test_branches_end_to_end(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        # Enough contacts that both branches are used whatever ids the
        # database hands out (6 contacts at 30/70 all land in B 12 % of runs).
        contacts = self.partners | self.env["res.partner"].create(
            [{"name": f"Flow contact extra {index}"} for index in range(40)]
        )
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "A/B",
                "model_id": self.partner_model.id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        Step = env["automation.flow.step"]
        ab = Step.create(
            {
                "name": "Which offer?",
                "flow_id": flow.id,
                "step_type": "split",
                "split_percent_a": 30,
                "split_percent_b": 70,
            }
        )
        branch_a, branch_b = (
            Step.create(
                {
                    "name": name,
                    "flow_id": flow.id,
                    "parent_id": ab.id,
                    "step_type": "activity",
                    "trigger": trigger,
                    "activity_type_id": self.todo.id,
                }
            )
            for name, trigger in (("Offer A", "split_a"), ("Offer B", "split_b"))
        )
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        tasks = self.tasks_of(ab)
        self.assertEqual(set(tasks.mapped("state")), {states.TASK_DONE})
        expected = {
            task.res_id: split.branch(
                task.enrollment_id.id, ab.id, [("a", 30), ("b", 70)]
            )
            for task in tasks
        }
        self.assertEqual({t.res_id: t.outcome for t in tasks}, expected)
        in_a = contacts.filtered(lambda p: expected[p.id] == "a")
        self.assertTrue(in_a and in_a != contacts, "both branches used")
        self.assertTasks(branch_a, in_a, states.TASK_DONE)
        self.assertTasks(branch_b, contacts - in_a, states.TASK_DONE)

        # A replay of the split never changes a branch.
        ab._execute_split(tasks)
        self.assertEqual({t.res_id: t.outcome for t in tasks}, expected)

        tree = flow.get_step_tree()
        card = next(step for step in tree["steps"] if step["id"] == ab.id)
        self.assertEqual(card["type_icon"], "fa-random")
        self.assertEqual(
            [(e["label"], e["count"]) for e in card["events"]],
            [
                ("Branch A (30 %)", len(in_a)),
                ("Branch B (70 %)", len(contacts - in_a)),
            ],
        )
        self.assertEqual(branch_b.schedule_description, "In branch B")

    def test_percents_sum_to_100_in_2_to_5_branches(self):
        flow = self.create_flow()
        for percents in (
            {"split_percent_a": 60},
            {"split_percent_a": 100, "split_percent_b": 0},
        ):
            with self.subTest(percents=percents), self.assertRaises(ValidationError):
                self.add_step(flow, "split", **percents)
        ab = self.add_step(flow, "split", split_percent_c=0)
        with self.assertRaises(ValidationError) as caught:
            self.add_step(flow, "activity", parent=ab, trigger="split_c")
        self.assertIn("gets no record", str(caught.exception))
