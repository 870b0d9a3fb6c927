# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestMultiCompany(AutomationFlowCase):
    """Company A's contacts and flow; company B's manager tries to reach them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.partners.company_id = cls.company_a
        cls.b_contacts = cls.env["res.partner"].create(
            [
                {"name": f"Flow contact B{index}", "company_id": cls.company_b.id}
                for index in range(2)
            ]
        )
        cls.manager_a = new_flow_user(cls.env, "manager_a", AUTOMATION_MANAGER)
        cls.manager_b = new_flow_user(
            cls.env, "manager_b", AUTOMATION_MANAGER, cls.company_b
        )
        cls.user_a = new_flow_user(cls.env, "user_a")
        cls.user_b = new_flow_user(cls.env, "user_b", company=cls.company_b)
        cls.action_b = cls.action_mark.copy(
            {"code": "records.write({'function': 'B was here'})"}
        )
        cls.flow_a = cls.create_flow(name="A's flow", user_id=cls.manager_a.id)
        cls.step_a = cls.add_step(cls.flow_a, "action")
        cls.start(cls.flow_a)
        cls.flow_a.action_run()

    def b_flow(self, **values):
        """A flow of company B's manager, as they create it."""
        values.setdefault("name", "B's flow")
        values.setdefault("model_id", self.partner_model.id)
        values.setdefault("domain", "[('name', '=like', 'Flow contact%')]")
        flow = self.env["automation.flow"].with_user(self.manager_b).create(values)
        self.add_step(flow.sudo(), "action", server_action_id=self.action_b.id)
        return flow

    def test_manager_of_b_cannot_enroll_company_a_contacts(self):
        Flow = self.env["automation.flow"].with_user(self.manager_b)
        # With an empty company: refused.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            Flow.create(
                {
                    "name": "Everyone",
                    "model_id": self.partner_model.id,
                    "company_id": False,
                }
            )
        # With company A: not theirs.
        with self.assertRaises(AccessError):
            Flow.create(
                {
                    "name": "A's contacts",
                    "model_id": self.partner_model.id,
                    "company_id": self.company_a.id,
                    "user_id": self.manager_b.id,
                }
            )
        flow = self.b_flow()
        self.assertEqual(flow.company_id, self.company_b, "the current company")
        self.assertEqual(flow.user_id, self.manager_b, "the creator is responsible")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            flow.write({"company_id": False})
            flow.flush_recordset()
        with self.assertRaises(AccessError):
            flow.write({"company_id": self.company_a.id})
        flow.action_start()
        flow.action_run()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(self.b_contacts.ids)
        )
        # Nor by an automation rule or another flow naming A's contacts.
        flow.sudo()._enroll(self.partners.ids)
        self.run_due()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(self.b_contacts.ids)
        )
        self.assertNotIn("B was here", self.partners.mapped("function"))
        self.assertEqual(set(self.b_contacts.mapped("function")), {"B was here"})
        # Nor by creating a task by hand on their own flow.
        with self.assertRaises(AccessError):
            self.env["automation.flow.task"].with_user(self.manager_b).create(
                {
                    "flow_id": flow.id,
                    "step_id": flow.step_ids.id,
                    "enrollment_id": flow.enrollment_ids[0].id,
                    "model": "res.partner",
                    "res_id": self.partners[0].id,
                }
            )

    def test_manager_of_b_cannot_slip_a_step_into_a_flow_of_a(self):
        Step = self.env["automation.flow.step"].with_user(self.manager_b)
        values = {
            "name": "Mine",
            "flow_id": self.flow_a.id,
            "step_type": "email",
            "mail_template_id": self.template.id,
        }
        with self.assertRaises(AccessError):
            Step.create(values)
        step = Step.create(dict(values, flow_id=self.b_flow().id))
        with self.assertRaises(AccessError):
            step.flow_id = self.flow_a
        with self.assertRaises(AccessError):
            self.b_flow().filter_id.with_user(self.manager_b).create(
                {
                    "name": "A's",
                    "model_id": self.partner_model.id,
                    "company_id": self.company_a.id,
                }
            )

    def test_manager_of_b_cannot_read_company_a_names(self):
        Enrollment = self.env["automation.flow.enrollment"].with_user(self.manager_b)
        self.assertEqual(len(self.flow_a.enrollment_ids), len(self.partners))
        self.assertFalse(Enrollment.search([]))
        self.assertFalse(
            self.env["automation.flow.task"].with_user(self.manager_b).search([])
        )
        with self.assertRaises(AccessError):
            Enrollment.browse(self.flow_a.enrollment_ids[0].id).record_name  # noqa: B018
        with self.assertRaises(AccessError):
            self.flow_a.with_user(self.manager_b).name  # noqa: B018
        # (The demo flow's enrollments are company A's too.)
        self.assertEqual(
            len(
                Enrollment.with_user(self.manager_a).search(
                    [("flow_id", "=", self.flow_a.id)]
                )
            ),
            len(self.partners),
        )

    def test_scheduler_refuses_a_task_of_another_flows_step(self):
        flow_b = self.b_flow()
        flow_b.action_start()
        flow_b.action_run()
        enrollment_b = flow_b.enrollment_ids[0]
        Task = self.env["automation.flow.task"]
        values = {
            "flow_id": flow_b.id,
            "step_id": self.step_a.id,
            "enrollment_id": enrollment_b.id,
            "model": "res.partner",
            "res_id": enrollment_b.res_id,
            "company_id": self.company_b.id,
        }
        with self.assertRefused(ValidationError, "is not a step of the flow"):
            Task.create(values)
        # A row that got in anyway (by SQL): the scheduler refuses it.
        Task._insert(
            flow_b,
            {
                "enrollment_id": [enrollment_b.id],
                "step_id": [self.step_a.id],
                "parent_id": [None],
                "res_id": [enrollment_b.res_id],
                "state": ["scheduled"],
                "scheduled_at": [self.flow_a.create_date],
                "expires_at": [None],
                "is_test": [False],
            },
        )
        forged = Task.search(
            [("flow_id", "=", flow_b.id), ("step_id", "=", self.step_a.id)]
        )
        self.run_due()
        self.assertEqual(forged.state, "error")
        self.assertIn("is not a step of the flow B's flow", forged.error_message)
        self.assertEqual(
            self.env["res.partner"].browse(enrollment_b.res_id).function,
            "B was here",
            "A's action did not run on B's contact",
        )
        # Nor an enrollment of another flow.
        with self.assertRefused(ValidationError, "enrollment"):
            Task.create(
                dict(
                    values,
                    step_id=flow_b.step_ids.id,
                    enrollment_id=self.flow_a.enrollment_ids[0].id,
                )
            )

    def test_only_tasks_whose_ids_disagree_are_checked_one_by_one(self):
        """The scheduler compares the ids of every task of a batch with its
        flow's (``_suspects_of_mismatch``) and builds records only for those
        that disagree: the same reasons as checking every task."""
        Task = self.env["automation.flow.task"]
        tasks = self.flow_a.enrollment_ids.task_ids
        self.assertGreaterEqual(len(tasks), 6)
        flow_b = self.b_flow()
        flow_b.action_start()
        flow_b.action_run()
        other_task = flow_b.enrollment_ids.task_ids[0]
        forged = [
            ("step_id", flow_b.step_ids.id),
            ("enrollment_id", flow_b.enrollment_ids[0].id),
            ("res_id", self.b_contacts[0].id),
            ("company_id", self.company_b.id),
            ("model", "res.users"),
            ("parent_id", other_task.id),
        ]
        for task, (column, value) in zip(tasks, forged, strict=False):
            self.env.cr.execute(
                SQL(
                    "UPDATE automation_flow_task SET %s = %s WHERE id = %s",
                    SQL.identifier(column),
                    value,
                    task.id,
                )
            )
        self.env.invalidate_all()
        tasks = Task.browse(tasks.ids)
        self.assertEqual(tasks._suspects_of_mismatch(), tasks[: len(forged)])

        def summary(mismatches):
            return {reason.code: set(group.ids) for reason, group in mismatches}

        expected = {
            "step_of_another_flow": set(tasks[:1].ids),
            "enrollment_of_another_flow": set(tasks[1:3].ids),
            "company_of_another_flow": set(tasks[3:5].ids),
            "parent_of_another_enrollment": set(tasks[5:6].ids),
        }
        self.assertEqual(summary(tasks._mismatches()), expected)
        self.env.invalidate_all()
        with patch.object(type(Task), "_suspects_of_mismatch", lambda self: self):
            self.assertEqual(summary(tasks._mismatches()), expected)

    def test_company_rules_filters_and_groups_without_a_foreign_key(self):
        """``company_id`` of tasks and enrollments has no foreign key (issue
        13: one check less per row inserted); record rules, filters and
        groupings by company work as before."""
        flow_b = self.b_flow()
        flow_b.with_user(self.manager_b).action_start()
        flow_b.with_user(self.manager_b).action_run()
        for model in ("automation.flow.task", "automation.flow.enrollment"):
            for user, company, flow in (
                (self.user_a, self.company_a, self.flow_a),
                (self.user_b, self.company_b, flow_b),
            ):
                Rows = self.env[model].with_user(user)
                with self.subTest(model=model, user=user.login):
                    rows = Rows.search([("flow_id", "in", (self.flow_a | flow_b).ids)])
                    self.assertTrue(rows)
                    self.assertEqual(rows.company_id, company)
                    self.assertEqual(rows.flow_id, flow)
                    other = (self.company_a | self.company_b) - company
                    self.assertFalse(Rows.search([("company_id", "=", other.id)]))
                    groups = Rows._read_group(
                        [("flow_id", "in", (self.flow_a | flow_b).ids)],
                        ["company_id"],
                        ["__count"],
                    )
                    self.assertEqual(groups, [(company, len(rows))])

    def test_enrollments_carry_their_flows_company(self):
        with self.assertRefused(ValidationError, "must be of its company"):
            self.env["automation.flow.enrollment"].create(
                {
                    "flow_id": self.flow_a.id,
                    "model": "res.partner",
                    "res_id": self.b_contacts[0].id,
                    "company_id": self.company_b.id,
                }
            )

    def test_responsible_is_a_user_of_the_flow_company(self):
        with self.assertRefused(ValidationError, "internal user of its company"):
            self.create_flow(company_id=self.company_b.id, user_id=self.manager_a.id)
        portal = new_flow_user(self.env, "flow_portal", "base.group_portal")
        with self.assertRefused(ValidationError, "internal user of its company"):
            self.create_flow(user_id=portal.id)
        # A manager names only themselves; an administrator anyone.
        with self.assertRefused(UserError, "only make yourself"):
            self.flow_a.with_user(self.manager_a).user_id = self.user_a
        self.flow_a.with_user(self.manager_a).user_id = self.manager_a
        self.flow_a.with_user(self.env.ref("base.user_admin")).user_id = self.user_a
        self.assertEqual(self.flow_a.user_id, self.user_a)
        # A responsible who left the company stops the flow's enrollment.
        self.user_a.write(
            {"company_id": self.company_b.id, "company_ids": self.company_b.ids}
        )
        with self.assertRefused(UserError, "no longer belongs to its company"):
            self.flow_a._enroll()

    def test_enrollment_and_scheduler_search_as_the_responsible(self):
        # A record rule for everyone but the superuser: the flow's responsible
        # does not see contacts called "Secret…".
        self.env["ir.rule"].create(
            {
                "name": "No secrets",
                "model_id": self.partner_model.id,
                "domain_force": "[('name', 'not like', 'Secret')]",
            }
        )
        secret = self.env["res.partner"].create({"name": "Flow contact Secret"})
        flow = self.create_flow(user_id=self.manager_a.id)
        step = self.add_step(flow, "action", delay=1)
        self.start(flow)
        flow.with_user(self.user_a).action_run()
        self.assertNotIn(secret.id, flow.enrollment_ids.mapped("res_id"))
        self.assertEqual(len(flow.enrollment_ids), len(self.partners))
        # A record the responsible can no longer read leaves at its next step.
        self.partners[0].name = "Flow contact Secret too"
        with self.at(fields.Datetime.now() + timedelta(hours=2)):
            self.run_due()
        self.assertTasks(step, self.partners[0], "skipped")
        self.assertTasks(step, self.partners[1:], "done")

    def test_saved_filter_and_flow_of_one_company(self):
        saved_filter = self.env["automation.flow.filter"].create(
            {"name": "A's filter", "model_id": self.partner_model.id}
        )
        self.assertEqual(saved_filter.company_id, self.company_a)
        with self.assertRefused(ValidationError, "Choose a filter of"):
            self.create_flow(company_id=self.company_b.id, filter_id=saved_filter.id)
        with self.assertRaises(AccessError):
            saved_filter.with_user(self.manager_b).domain = "[]"

    def test_company_of_a_flow_with_enrollments_is_locked(self):
        self.manager_a.company_ids |= self.company_b
        with self.assertRefused(UserError, "company cannot be changed"):
            self.flow_a.with_user(self.manager_a).company_id = self.company_b


@tagged("post_install", "-at_install")
class TestEventReportCompanies(AutomationFlowCase):
    def test_event_statistics_of_another_company_are_invisible(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_a = new_flow_user(self.env, "report_user_a")
        user_b = new_flow_user(self.env, "report_user_b", company=company_b)
        flow_b = self.create_flow(name="B's flow", company_id=company_b.id)
        step = self.add_step(flow_b, "action")
        self.start(flow_b)
        flow_b.action_run()
        self.tasks_of(step)._on_event("opened")
        Report = self.env["automation.flow.event.report"]
        domain = [("flow_id", "=", flow_b.id)]
        self.assertEqual(
            sum(Report.with_user(user_b).search(domain).mapped("event_count")),
            len(self.partners),
        )
        self.assertFalse(Report.with_user(user_a).search(domain))
        self.assertFalse(
            Report.with_user(user_a)._read_group(domain, [], ["event_count:sum"])[0][0]
        )
