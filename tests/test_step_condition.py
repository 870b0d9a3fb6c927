# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..engine import states
from .common import AUTOMATION_MANAGER, HOUR, NOW, AutomationFlowCase, new_flow_user

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestConditionStep(AutomationFlowCase):
    """A condition checks a domain (AND/OR) for the whole batch when it is
    due; only the children of the branch each record took get a task."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "condition_manager", AUTOMATION_MANAGER)
        cls.buyer, cls.parisian, *cls.others = cls.partners[:4]
        cls.buyer.function = "Buyer"
        cls.parisian.city = "Paris"

    def create_steps(self, env):
        flow = env["automation.flow"].create(
            {
                "name": "Qualify",
                "model_id": self.partner_model.id,
                "domain": "[('name', 'in', %r)]" % self.partners[:4].mapped("name"),
            }
        )
        Step = env["automation.flow.step"]
        check = Step.create(
            {
                "name": "Buyer or in Paris?",
                "flow_id": flow.id,
                "step_type": "condition",
                "condition_domain": "['|', ('function', '=', 'Buyer'), "
                "('city', '=', 'Paris')]",
            }
        )
        yes, no = (
            Step.create(
                {
                    "name": name,
                    "flow_id": flow.id,
                    "parent_id": check.id,
                    "step_type": "activity",
                    "trigger": trigger,
                    "activity_type_id": self.todo.id,
                    **values,
                }
            )
            for name, trigger, values in (
                ("Call them", "condition_yes", {}),
                ("Nurture", "condition_no", {"delay": 1, "delay_unit": "days"}),
            )
        )
        return flow, check, yes, no

    def test_branches_end_to_end(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        env = self.env(user=self.manager)
        flow, check, yes, no = self.create_steps(env)
        matching = self.buyer | self.parisian
        others = self.partners[:4] - matching
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        self.assertTasks(check, self.partners[:4], states.TASK_DONE)
        self.assertEqual(
            {t.res_id: t.outcome for t in self.tasks_of(check)},
            {**dict.fromkeys(matching.ids, "yes"), **dict.fromkeys(others.ids, "no")},
        )
        self.assertTasks(yes, matching, states.TASK_DONE)
        self.assertTasks(no, others, states.TASK_SCHEDULED)
        with self.at(NOW + DAY + HOUR):
            self.run_due()
        self.assertTasks(no, others, states.TASK_DONE)
        self.assertEqual(
            len(self.env["mail.activity"].search([("res_id", "in", others.ids)])), 2
        )

        # Statistics: yes / no in the report and on the designer card.
        self.env.flush_all()
        self.assertEqual(
            sorted(
                env["automation.flow.task.report"]._read_group(
                    [("step_id", "=", check.id)], ["outcome"], ["task_count:sum"]
                )
            ),
            [("no", 2), ("yes", 2)],
        )

        tree = flow.with_user(self.manager).get_step_tree()
        card = next(step for step in tree["steps"] if step["id"] == check.id)
        self.assertEqual(card["type_icon"], "fa-code-fork")
        self.assertEqual(
            [(e["event"], e["label"], e["count"]) for e in card["events"]],
            [("condition_yes", "Yes", 2), ("condition_no", "No", 2)],
        )
        self.assertEqual(
            sorted(key for key, _label in tree["triggers"]["condition"]),
            ["after_step", "condition_no", "condition_yes"],
        )
        self.assertEqual(yes.schedule_description, "If the condition holds")
        self.assertEqual(
            no.schedule_description,
            "1 day after the check, if the condition does not hold",
        )

    def test_one_search_for_the_batch(self):
        flow, check, _yes, _no = self.create_steps(self.env(user=self.manager))
        flow.action_start()
        flow.action_run()
        check = check.with_env(self.env)
        tasks = self.tasks_of(check)
        self.assertEqual(len(tasks), 4)
        # As many queries for one record as for the batch: one search.
        for batch in (tasks[:1], tasks):
            self.env.flush_all()
            self.env.invalidate_all()
            batch.mapped("res_id")
            check.flow_id.user_id.mapped("tz")
            with self.subTest(size=len(batch)), self.assertQueryCount(5):
                check._execute_condition(batch)

    def test_condition_must_fit_the_model(self):
        flow = self.create_flow()
        with self.assertRaises(ValidationError) as caught:
            self.add_step(flow, "condition", condition_domain="[('no_such', '=', 1)]")
        self.assertIn("The condition of the step", str(caught.exception))

    def test_branch_triggers_fit_under_a_condition_only(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email")
        with self.assertRaises(ValidationError):
            self.add_step(flow, "email", parent=email, trigger="condition_yes")
