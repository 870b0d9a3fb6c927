# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


class TaskAccessMixin:
    """A running flow whose server action marks contacts; its tasks are done
    for the flow's contacts, and a contact outside the flow is the target."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_flow_user(cls.env, "task_user")
        cls.manager = new_flow_user(cls.env, "task_manager", AUTOMATION_MANAGER)
        cls.victim = cls.env["res.partner"].create(
            {"name": "Not in any flow", "email": "victim@example.com"}
        )
        cls.flow = cls.create_flow()
        cls.step = cls.add_step(cls.flow, "action")
        cls.start(cls.flow)
        cls.flow.action_run()
        cls.env["automation.flow.task"]._process_due_tasks()
        cls.task = cls.env["automation.flow.task"].search(
            [("step_id", "=", cls.step.id), ("res_id", "=", cls.partners[0].id)]
        )
        cls.partners.function = False

    def assertNothingRan(self):
        self.env["automation.flow.task"]._process_due_tasks()
        self.assertFalse(self.victim.function, "the server action ran on the target")
        self.assertFalse(any(self.partners.mapped("function")), "a task ran again")
        self.assertEqual(self.task.state, "done")
        self.assertEqual(self.task.res_id, self.partners[0].id)


@tagged("post_install", "-at_install")
class TestTaskAccess(TaskAccessMixin, AutomationFlowCase):
    def test_users_and_managers_cannot_create_or_write_tasks_and_enrollments(self):
        enrollment = self.task.enrollment_id
        for user in (self.user, self.manager):
            env = self.env(user=user)
            task = env["automation.flow.task"].browse(self.task.id)
            self.assertEqual(task.state, "done", "tasks stay readable")
            with self.assertRaises(AccessError):
                task.write({"state": "scheduled", "res_id": self.victim.id})
            with self.assertRaises(AccessError):
                env["automation.flow.task"].create(
                    {
                        "flow_id": self.flow.id,
                        "step_id": self.step.id,
                        "enrollment_id": enrollment.id,
                        "model": "res.partner",
                        "res_id": self.victim.id,
                    }
                )
            with self.assertRaises(AccessError):
                env["automation.flow.enrollment"].browse(enrollment.id).write(
                    {"res_id": self.victim.id, "state": "running"}
                )
            with self.assertRaises(AccessError):
                env["automation.flow.enrollment"].create(
                    {
                        "flow_id": self.flow.id,
                        "model": "res.partner",
                        "res_id": self.victim.id,
                    }
                )
        # Nor through the flow's one2many, as the form would send it.
        with self.assertRaises(AccessError):
            self.flow.with_user(self.manager).write(
                {"enrollment_ids": [(1, enrollment.id, {"state": "running"})]}
            )
        with self.assertRaises(AccessError):
            self.step.with_user(self.manager).write(
                {"task_ids": [(1, self.task.id, {"state": "scheduled"})]}
            )
        self.assertNothingRan()

    def test_managers_delete_enrollments_users_do_not(self):
        enrollment = self.task.enrollment_id
        with self.assertRaises(AccessError):
            enrollment.with_user(self.user).unlink()
        with self.assertRaises(AccessError):
            self.task.with_user(self.manager).unlink()
        enrollment.with_user(self.manager).unlink()
        self.assertFalse(self.task.exists(), "its tasks go with it")

    def make_failed_task(self):
        self.action_mark.code = "raise UserError('The remote service is down.')"
        self.task.enrollment_id.state = "running"
        # A fixture: the done task back in the queue, which no transition of
        # the engine allows (engine/states.py).
        self.task.state = "scheduled"
        self.env["automation.flow.task"]._process_due_tasks()
        self.assertEqual(self.task.state, "error")
        self.action_mark.code = "records.write({'function': 'flow was here'})"
        return self.task

    def test_retry_checks_who_retries_what(self):
        task = self.make_failed_task()
        done = self.tasks_of(self.step) - task
        with self.assertRefused(UserError, "Only tasks in error"):
            done[:1].with_user(self.user).action_retry()
        outsider = new_flow_user(self.env, "task_outsider", group=None)
        with self.assertRaises(AccessError):
            task.with_user(outsider).action_retry()
        other_company = self.env["res.company"].create({"name": "Other company"})
        stranger = new_flow_user(self.env, "task_stranger", company=other_company)
        with self.assertRaises(AccessError):
            task.with_user(stranger).action_retry()
        task.with_user(self.user).action_retry()
        self.assertEqual(task.state, "scheduled")
        self.env["automation.flow.task"]._process_due_tasks()
        self.assertEqual(task.state, "done")
        self.assertEqual(self.partners[0].function, "flow was here")

    def test_retry_refuses_a_task_of_a_stopped_flow(self):
        task = self.make_failed_task()
        self.flow.action_done()
        with self.assertRefused(UserError, "is not running"):
            task.with_user(self.user).action_retry()
        self.assertEqual(task.state, "error")

    def test_retry_refuses_a_task_that_does_not_belong_to_its_flow(self):
        other_flow = self.create_flow(name="Other flow")
        other_step = self.add_step(other_flow, "action")
        task = self.make_failed_task()
        # As a row written by hand in the database: no constraint ran.
        self.env.cr.execute(
            "UPDATE automation_flow_task SET step_id = %s WHERE id = %s",
            [other_step.id, task.id],
        )
        task.invalidate_recordset()
        with self.assertRefused(UserError, "is not a step of the flow"):
            task.with_user(self.user).action_retry()

    def test_test_wizard_runs_test_enrollments_of_its_flow_only(self):
        Wizard = self.env["automation.flow.test"].with_user(self.manager)
        # A wizard pointed at a real enrollment, as RPC could create it.
        wizard = Wizard.create(
            {"flow_id": self.flow.id, "enrollment_id": self.task.enrollment_id.id}
        )
        with self.assertRefused(UserError, "Only a test enrollment"):
            wizard.action_run_next()
        wizard = Wizard.create({"flow_id": self.flow.id, "res_id": self.victim.id})
        self.victim.name = "Flow contact victim"
        wizard.action_enroll()
        wizard.action_run_next()
        self.assertEqual(self.victim.function, "flow was here")
        self.assertEqual(wizard.enrollment_id.task_ids.state, "done")


@tagged("post_install", "-at_install")
class TestTaskAccessRpc(TaskAccessMixin, AutomationFlowCase, HttpCase):
    """The attack as it was made: JSON-RPC calls of a logged-in user."""

    def call_kw(self, model, method, args):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": {}},
        )

    def test_automation_user_cannot_point_a_task_at_another_record(self):
        for user in (self.user, self.manager):
            self.authenticate(user.login, user.login)
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call_kw(
                    "automation.flow.task",
                    "write",
                    [[self.task.id], {"state": "scheduled", "res_id": self.victim.id}],
                )
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call_kw(
                    "automation.flow.task",
                    "create",
                    [
                        {
                            "flow_id": self.flow.id,
                            "step_id": self.step.id,
                            "enrollment_id": self.task.enrollment_id.id,
                            "model": "res.partner",
                            "res_id": self.victim.id,
                        }
                    ],
                )
            # What users may do goes through the buttons.
            self.assertEqual(
                self.call_kw(
                    "automation.flow.task", "read", [[self.task.id], ["state"]]
                ),
                [{"id": self.task.id, "state": "done"}],
            )
        self.assertNothingRan()
