# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import Counter
from contextlib import closing

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from ..engine import states
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user


def new_sellers(env, names, prefix="assign"):
    """Internal users named ``names`` (logins: ``prefix`` and the name)."""
    return env["res.users"].concat(
        *(
            new_test_user(env, login=f"{prefix}_{name.lower()}", name=name)
            for name in names
        )
    )


@tagged("post_install", "-at_install")
class TestAssignStep(AutomationFlowCase):
    """An assign step sets a user field of the records: in turn, by rules or
    to the least loaded user, as the flow's responsible, an Automation
    Manager without Settings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "assign_manager", AUTOMATION_MANAGER)
        cls.ana, cls.eva, cls.luis = new_sellers(cls.env, ["Ana", "Eva", "Luis"])
        cls.user_field = cls.env.ref("base.field_res_partner__user_id")

    def setUp(self):
        super().setUp()
        self.env = self.env(user=self.manager)
        self.assertFalse(self.manager.has_group("base.group_system"))

    def create_assign_step(self, **values):
        """A flow on the six contacts and its assign step, made by the
        manager with only the required values besides ``values``."""
        flow = self.env["automation.flow"].create(
            {
                "name": "Dispatch",
                "model_id": self.partner_model.id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        step = self.env["automation.flow.step"].create(
            {
                "name": "Give a salesperson",
                "flow_id": flow.id,
                "step_type": "assign",
                "assign_field_id": self.user_field.id,
                **values,
            }
        )
        return flow, step

    def run_flow(self, flow):
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()

    def assignees(self, records=None):
        return [partner.user_id.name for partner in (records or self.partners)]

    def test_round_robin_gives_each_user_a_turn(self):
        flow, step = self.create_assign_step(
            assign_user_ids=[(6, 0, (self.ana | self.eva | self.luis).ids)]
        )
        self.run_flow(flow)
        self.assertTasks(step, self.partners, states.TASK_DONE)
        # In the order of the records, each user in turn (by name).
        self.assertEqual(self.assignees(), ["Ana", "Eva", "Luis"] * 2)
        self.assertEqual(step.assign_turn, 6)
        task = self.tasks_of(step, self.partners[1])
        self.assertEqual(task.error_message, "Assigned to Eva.")
        self.assertEqual(task.assign_user_id, self.eva)
        [journey] = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", self.partners[1].id
        )
        self.assertEqual(journey["tasks"][0]["outcome"], "Assigned to Eva.")
        # The designer says what the step does and who got how many.
        card = flow.get_step_tree()["steps"][0]
        self.assertEqual(card["type_icon"], "fa-user-plus")
        self.assertEqual(
            card["summary"], "Assign Ana, Eva, Luis as Salesperson by round robin"
        )
        self.assertEqual(
            [(event["label"], event["count"]) for event in card["events"]],
            [("Ana", 2), ("Eva", 2), ("Luis", 2)],
        )
        # The next batch goes on where this one stopped.
        newcomer = self.env["res.partner"].sudo().create({"name": "Flow contact 7"})
        with self.at(NOW):
            flow.action_run()
            self.run_due()
        self.assertEqual(newcomer.user_id, self.ana)

    def test_archived_users_are_passed_over(self):
        flow, step = self.create_assign_step(
            assign_user_ids=[(6, 0, (self.ana | self.eva | self.luis).ids)]
        )
        self.eva.sudo().active = False
        self.run_flow(flow)
        self.assertEqual(self.assignees(), ["Ana", "Luis"] * 3)

    def test_no_active_user_puts_the_tasks_in_error(self):
        flow, step = self.create_assign_step(assign_user_ids=[(6, 0, self.ana.ids)])
        self.ana.sudo().active = False
        self.run_flow(flow)
        self.assertTasks(step, self.partners, states.TASK_ERROR)
        self.assertRegex(
            self.tasks_of(step)[0].error_message,
            "No user of the step Give a salesperson can be assigned now",
        )
        self.assertEqual(set(self.assignees()), {self.salesperson.name})

    def assign_rules(self, fallback=None):
        """Buyers in Paris and Parisians to Ana, other buyers to Luis, and a
        rule for Parisians to Eva that comes too late to match."""
        self.partners[0].write({"city": "Paris", "function": "Buyer"})
        self.partners[1].write({"function": "Buyer"})
        self.partners[2].write({"city": "Paris"})
        return self.create_assign_step(
            assign_method="rules",
            assign_fallback_user_id=fallback and fallback.id,
            assign_rule_ids=[
                (0, 0, {"domain": "[('city', '=', 'Paris')]", "user_id": self.ana.id}),
                (
                    0,
                    0,
                    {"domain": "[('function', '=', 'Buyer')]", "user_id": self.luis.id},
                ),
                (0, 0, {"domain": "[('city', '=', 'Paris')]", "user_id": self.eva.id}),
            ],
        )

    def test_rules_first_match_wins_then_the_fallback(self):
        flow, step = self.assign_rules(fallback=self.eva)
        self.run_flow(flow)
        self.assertTasks(step, self.partners, states.TASK_DONE)
        self.assertEqual(self.assignees(), ["Ana", "Luis", "Ana", "Eva", "Eva", "Eva"])
        self.assertEqual(
            flow.get_step_tree()["steps"][0]["summary"],
            "Assign the Salesperson by 3 rules, otherwise Eva",
        )
        step.assign_rule_ids[1:].unlink()
        self.assertEqual(
            flow.get_step_tree()["steps"][0]["summary"],
            "Assign the Salesperson by 1 rule, otherwise Eva",
        )

    def test_rules_without_fallback_skip_with_the_reason(self):
        flow, step = self.assign_rules()
        self.run_flow(flow)
        self.assertTasks(step, self.partners[:3], states.TASK_DONE)
        self.assertTasks(step, self.partners[3:], states.TASK_SKIPPED)
        self.assertEqual(
            set(self.tasks_of(step, self.partners[3:]).mapped("error_message")),
            {
                "No assignment rule matched the record and the step names no user "
                "to assign otherwise."
            },
        )
        self.assertEqual(
            set(self.assignees(self.partners[3:])), {self.salesperson.name}
        )

    def test_rules_search_once_per_rule_for_the_batch(self):
        _flow, step = self.assign_rules(fallback=self.eva)
        step = step.with_env(self.env(user=SUPERUSER_ID))
        # The last contact matches no rule: every rule searches for it.
        counts = [
            self.count_queries(lambda ids=res_ids: step._assign_by_rules(ids))
            for res_ids in (self.partners[-1:].ids, self.partners.ids)
        ]
        self.assertEqual(counts[0], counts[1], "as many queries for 6 as for 1")

    def test_least_loaded_user_takes_the_next_record(self):
        # Open records count as load, closed ones do not.
        Partner = self.env["res.partner"].sudo()
        for user, open_count, closed_count in (
            (self.ana, 3, 5),
            (self.luis, 1, 0),
        ):
            Partner.create(
                [
                    {"name": f"Load {user.name} {i}", "user_id": user.id, "ref": ref}
                    for i, ref in enumerate(
                        ["open"] * open_count + ["closed"] * closed_count
                    )
                ]
            )
        flow, step = self.create_assign_step(
            assign_method="least_loaded",
            assign_user_ids=[(6, 0, (self.ana | self.eva | self.luis).ids)],
            assign_load_domain="[('ref', '=', 'open')]",
        )
        self.run_flow(flow)
        # Ana 3, Eva 0, Luis 1 (ties go to the first by name): Eva, Eva,
        # Luis, Eva, Luis, Ana.
        self.assertEqual(self.assignees(), ["Eva", "Eva", "Luis", "Eva", "Luis", "Ana"])
        self.assertEqual(
            flow.get_step_tree()["steps"][0]["summary"],
            "Assign the least loaded of Ana, Eva, Luis as Salesperson",
        )

    def test_bad_configurations_are_refused(self):
        flow = self.create_flow()
        portal = new_test_user(
            self.env(su=True), login="assign_portal", groups="base.group_portal"
        )
        Step = self.env["automation.flow.step"]
        base = {"name": "Assign", "flow_id": flow.id, "step_type": "assign"}
        users = [(6, 0, self.ana.ids)]
        for values, message in (
            ({"assign_user_ids": users}, "Choose the user field the step Assign sets"),
            (
                {
                    "assign_field_id": self.env.ref(
                        "base.field_res_users__create_uid"
                    ).id,
                    "assign_user_ids": users,
                },
                "is for another model than the flow's",
            ),
            (
                {
                    "assign_field_id": self.env.ref(
                        "base.field_res_partner__parent_id"
                    ).id,
                    "assign_user_ids": users,
                },
                "is not a user field",
            ),
            (
                {"assign_field_id": self.user_field.id},
                "Choose the users the step Assign assigns",
            ),
            (
                {
                    "assign_field_id": self.user_field.id,
                    "assign_user_ids": [(6, 0, portal.ids)],
                },
                "Only internal users can be assigned: remove",
            ),
            (
                {"assign_field_id": self.user_field.id, "assign_method": "rules"},
                "Add the assignment rules of the step Assign",
            ),
            (
                {
                    "assign_field_id": self.user_field.id,
                    "assign_method": "rules",
                    "assign_rule_ids": [
                        (0, 0, {"domain": "[('nope', '=', 1)]", "user_id": self.ana.id})
                    ],
                },
                "The rule for Ana of the step Assign cannot be used",
            ),
            (
                {
                    "assign_field_id": self.user_field.id,
                    "assign_method": "least_loaded",
                    "assign_user_ids": users,
                    "assign_load_domain": "[('nope', '=', 1)]",
                },
                "The load counted by the step Assign of the flow Test flow cannot "
                "be used",
            ),
        ):
            with (
                self.subTest(message=message),
                self.assertRefused(ValidationError, message),
            ):
                Step.create({**base, **values})


@tagged("post_install", "-at_install")
# pylint: disable=invalid-commit
class TestAssignConcurrency(BaseCase):
    """Two scheduler transactions of one round robin, each on its own
    connection: they never give two records the same turn.

    The data is committed (other connections cannot see a test transaction)
    and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        self.connection = db_connect(get_db_name())
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            users = new_sellers(env, ["Ana", "Eva", "Luis", "Max"], prefix="rr")
            partners = env["res.partner"].create(
                [{"name": f"Round robin contact {i}"} for i in range(4)]
            )
            flow = env["automation.flow"].create(
                {
                    "name": "Round robin",
                    "model_id": env.ref("base.model_res_partner").id,
                    "domain": "[('name', '=like', 'Round robin contact%')]",
                }
            )
            env["automation.flow.step"].create(
                {
                    "name": "Give a salesperson",
                    "flow_id": flow.id,
                    "step_type": "assign",
                    "assign_field_id": env.ref("base.field_res_partner__user_id").id,
                    "assign_user_ids": [(6, 0, users.ids)],
                }
            )
            flow.action_start()
            flow._enroll()
            cr.commit()
            self.flow_id, self.partner_ids = flow.id, partners.ids
            self.user_ids = users.ids
        self.addCleanup(self.remove_data)

    def remove_data(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["automation.flow"].browse(self.flow_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()
            users = env["res.users"].browse(self.user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            cr.commit()

    def worker(self):
        cr = self.connection.cursor()
        self.addCleanup(cr.close)
        # Never hang the suite: a lock wait means the engine is wrong.
        cr.execute("SET lock_timeout = '10s'")
        return api.Environment(cr, SUPERUSER_ID, {})["automation.flow.task"]

    def test_two_transactions_take_consecutive_turns(self):
        first, second = self.worker(), self.worker()
        # The second transaction takes its two records first, then the
        # first one assigns its two and commits while the second still runs.
        taken_second = second._acquire_due_tasks(2)
        taken_first = first._acquire_due_tasks(2)
        self.assertEqual(len(taken_first | taken_second), 4)
        taken_first._execute()
        first.env.cr.commit()
        # Its snapshot predates the turns the first one took: it cannot take
        # the same ones again, it is told to run later…
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(PG_CONCURRENCY_EXCEPTIONS_TO_RETRY),
        ):
            taken_second._execute()
        second.env.cr.rollback()
        # …and takes the next turns when it does.
        self.assertGreaterEqual(second._process_due_tasks(), 2)
        second.env.cr.commit()
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                "SELECT user_id FROM res_partner WHERE id = ANY(%s)",
                [self.partner_ids],
            )
            assigned = Counter(row[0] for row in cr.fetchall())
            cr.execute(
                "SELECT assign_turn FROM automation_flow_step WHERE flow_id = %s",
                [self.flow_id],
            )
            self.assertEqual(cr.fetchone()[0], 4)
        self.assertEqual(assigned, Counter(self.user_ids), "each user exactly once")
