# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from contextlib import closing

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, HttpCase, freeze_time, tagged
from odoo.tests.common import JsonRpcException, get_db_name
from odoo.tools import mute_logger

from .common import AUTOMATION_MANAGER, HOUR, NOW, AutomationFlowCase, new_flow_user


class RecordControlsMixin:
    """A running flow on the six contacts: an offer email due an hour after
    they enter, then a follow-up (an action) after it, and another one when
    the email is opened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_flow_user(cls.env, "control_user")
        cls.manager = new_flow_user(cls.env, "control_manager", AUTOMATION_MANAGER)
        cls.action_mark.code = (
            "for record in records:\n"
            "    record.write({'ref': (record.ref or '') + 'followed;'})"
        )
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(cls.flow, "email", delay=1, delay_unit="hours")
        cls.follow_up = cls.add_step(cls.flow, "action", parent=cls.email)
        cls.on_open = cls.add_step(
            cls.flow,
            "action",
            parent=cls.email,
            trigger="email_opened",
            expiry=1,
            expiry_unit="hours",
        )
        cls.start(cls.flow)
        with freeze_time(NOW):
            cls.flow._enroll()
        cls.enrollments = cls.flow.enrollment_ids.sorted("res_id")
        cls.enrollment = cls.enrollments[0]
        cls.partner = cls.partners.filtered(lambda p: p.id == cls.enrollment.res_id)

    def task_of(self, step, enrollment=None):
        enrollment = enrollment or self.enrollment
        return enrollment.task_ids.filtered(lambda task: task.step_id == step)

    def mails_of(self, partner):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def cron_triggers(self):
        return self.env["ir.cron.trigger"].search_count(
            [
                (
                    "cron_id",
                    "=",
                    self.env.ref("automation_flow.cron_process_due_tasks").id,
                )
            ]
        )


@tagged("post_install", "-at_install")
class TestRecordControls(RecordControlsMixin, AutomationFlowCase):
    def test_pause_holds_due_tasks_until_resumed(self):
        email_task = self.task_of(self.email)
        self.enrollments[:2].with_user(self.user).action_pause()
        self.assertEqual(set(self.enrollments[:2].mapped("state")), {"paused"})
        self.assertRegex(
            self.enrollment.exit_reason,
            f"^Paused by {re.escape(self.user.name)} on .+\\)\\.$",
        )
        with self.at(NOW + 2 * HOUR):
            Task = self.env["automation.flow.task"]
            self.assertEqual(Task._count_due(), 4, "paused tasks are not due")
            self.run_due()
        self.assertEqual(email_task.state, "scheduled")
        self.assertFalse(self.mails_of(self.partner), "a paused record got no email")
        self.assertTasks(self.email, self.partners[2:], "done")
        triggers = self.cron_triggers()
        with self.at(NOW + 3 * HOUR):
            self.enrollment.with_user(self.manager).action_resume()
            self.assertEqual(self.cron_triggers(), triggers + 1, "scheduler woken")
            self.assertEqual(self.enrollment.state, "running")
            self.assertRegex(
                self.enrollment.exit_reason,
                f"^Resumed by {re.escape(self.manager.name)} on ",
            )
            self.run_due()
        self.assertEqual(email_task.state, "done", "overdue: runs at once")
        self.assertEqual(len(self.mails_of(self.partner)), 1)
        self.assertEqual(self.enrollments[1].state, "paused")

    def test_pause_holds_expiry(self):
        with self.at(NOW + 2 * HOUR):
            self.run_due()
        opened = self.task_of(self.on_open)
        self.assertEqual((opened.state, opened.expires_at), ("waiting", NOW + 3 * HOUR))
        self.enrollment.with_user(self.user).action_pause()
        with self.at(NOW + 4 * HOUR):
            self.run_due()
            self.assertEqual(opened.state, "waiting", "no expiry while paused")
            self.enrollment.with_user(self.user).action_resume()
            self.run_due()
        self.assertEqual(opened.state, "expired", "its time passed: it expires")

    def test_remove_from_flow(self):
        email_task = self.task_of(self.email)
        self.enrollments[:3].with_user(self.user).action_remove_from_flow()
        self.assertEqual(set(self.enrollments[:3].mapped("state")), {"exited"})
        self.assertEqual(
            self.enrollment.exit_reason, f"Removed from the flow by {self.user.name}."
        )
        self.assertEqual(email_task.state, "cancelled")
        self.assertEqual(email_task.error_message, self.enrollment.exit_reason)
        with self.assertRefused(UserError, "already ended"):
            self.enrollment.with_user(self.user).action_remove_from_flow()
        with self.at(NOW + 2 * HOUR):
            self.run_due()
        self.assertFalse(self.mails_of(self.partner))
        self.assertTasks(self.email, self.partners[3:], "done")

    def test_skip_goes_on_with_the_steps_after_it(self):
        email_task = self.task_of(self.email)
        with self.at(NOW + HOUR / 2):
            self.enrollment.with_user(self.manager).action_skip_step()
        self.assertEqual(email_task.state, "skipped")
        self.assertEqual(email_task.error_message, f"Skipped by {self.manager.name}.")
        follow_up = self.task_of(self.follow_up)
        self.assertEqual(follow_up.state, "scheduled", "after the step: goes on")
        self.assertEqual(follow_up.scheduled_at, NOW + HOUR / 2, "as if done then")
        self.assertFalse(self.task_of(self.on_open), "no email, no open to wait for")
        with self.at(NOW + HOUR / 2):
            self.run_due()
        self.assertEqual(follow_up.state, "done")
        self.assertEqual(self.partner.ref, "followed;")
        self.assertFalse(self.mails_of(self.partner), "the skipped email left not")

    def test_skip_a_waiting_task_of_the_journey(self):
        with self.at(NOW + 2 * HOUR):
            self.run_due()
        opened = self.task_of(self.on_open)
        self.assertEqual(opened.state, "waiting")
        opened.with_user(self.user).action_skip()
        self.assertEqual(opened.state, "skipped")

    def test_run_now_runs_once(self):
        email_task = self.task_of(self.email)
        with self.at(NOW + HOUR / 4):
            email_task.with_user(self.manager).action_run_now()
            self.assertEqual(email_task.state, "done")
            self.assertEqual(
                email_task.error_message, f"Run ahead of time by {self.manager.name}."
            )
            self.assertEqual(len(self.mails_of(self.partner)), 1)
            self.assertEqual(self.task_of(self.follow_up).state, "scheduled")
            self.assertEqual(self.task_of(self.on_open).state, "waiting")
        with self.at(NOW + 2 * HOUR):
            self.run_due()
        self.assertEqual(len(self.mails_of(self.partner)), 1, "the cron sent none")
        self.assertEqual(len(self.task_of(self.email)), 1)
        with self.assertRefused(UserError, "these are not"):
            email_task.with_user(self.manager).action_run_now()

    def test_run_now_of_the_enrollment_and_of_a_paused_one(self):
        self.enrollments[1].with_user(self.user).action_pause()
        with self.assertRefused(UserError, "Resume the enrollments first"):
            self.enrollments[:2].with_user(self.user).action_run_step_now()
        self.enrollment.with_user(self.user).action_run_step_now()
        self.assertEqual(self.task_of(self.email).state, "done")
        self.assertEqual(
            self.task_of(self.email, self.enrollments[1]).state, "scheduled"
        )

    def test_cancel_a_task(self):
        email_task = self.task_of(self.email)
        email_task.with_user(self.user).action_cancel()
        self.assertEqual(email_task.state, "cancelled")
        self.assertEqual(email_task.error_message, f"Cancelled by {self.user.name}.")
        with self.at(NOW + 2 * HOUR):
            self.run_due()
        self.assertFalse(self.task_of(self.follow_up), "nothing after a cancelled step")
        self.assertEqual(self.enrollment.state, "done")
        with self.assertRefused(UserError, "these are not"):
            email_task.with_user(self.user).action_cancel()

    def test_states_refused(self):
        with self.assertRefused(UserError, "Only paused enrollments can be resumed"):
            self.enrollment.with_user(self.user).action_resume()
        self.enrollment.with_user(self.user).action_pause()
        with self.assertRefused(UserError, "Only running enrollments can be paused"):
            self.enrollment.with_user(self.user).action_pause()
        self.flow.action_done()
        self.assertEqual(self.enrollment.state, "cancelled", "paused ones end too")
        with self.assertRefused(UserError, "have ended"):
            self.enrollment.with_user(self.user).action_skip_step()

    def test_users_without_the_right_are_refused(self):
        outsider = new_flow_user(self.env, "control_outsider", group=None)
        other_company = self.env["res.company"].create({"name": "Other company"})
        stranger = new_flow_user(self.env, "control_stranger", company=other_company)
        email_task = self.task_of(self.email)
        for user in (outsider, stranger):
            for method in (
                "action_pause",
                "action_remove_from_flow",
                "action_skip_step",
                "action_run_step_now",
            ):
                with self.subTest(user=user.login, method=method):
                    with self.assertRaises(AccessError):
                        getattr(self.enrollment.with_user(user), method)()
            for method in ("action_cancel", "action_skip", "action_run_now"):
                with self.subTest(user=user.login, method=method):
                    with self.assertRaises(AccessError):
                        getattr(email_task.with_user(user), method)()
        self.assertEqual(self.enrollment.state, "running")
        self.assertEqual(email_task.state, "scheduled")

    def test_journey_shows_who_did_it(self):
        self.task_of(self.email).with_user(self.user).action_skip()
        self.enrollment.with_user(self.user).action_pause()
        [journey] = (
            self.env["automation.flow.enrollment"]
            .with_user(self.user)
            .get_journeys("res.partner", self.partner.id)
        )
        self.assertEqual(journey["state"], "paused")
        self.assertRegex(
            journey["exit_reason"], f"^Paused by {re.escape(self.user.name)} on "
        )
        [skipped] = journey["tasks"]
        self.assertEqual(
            (skipped["state"], skipped["outcome"]),
            ("skipped", f"Skipped by {self.user.name}."),
        )
        self.assertEqual(
            [next_task["id"] for next_task in journey["next"]],
            self.task_of(self.follow_up).ids,
        )

    def test_paused_record_reaching_the_goal_converts(self):
        self.keep_record_hooks()
        flow = self.create_flow(
            name="Goal flow", goal_domain="[('function', '=', 'Customer')]"
        )
        self.add_step(flow, "action", delay=1)
        self.start(flow)
        with self.at(NOW):
            flow._enroll()
        enrollment = flow.enrollment_ids.filtered(lambda e: e.res_id == self.partner.id)
        enrollment.with_user(self.user).action_pause()
        self.partner.function = "Customer"
        self.assertEqual(enrollment.state, "converted", "paused counts as running")
        self.assertEqual(enrollment.task_ids.state, "cancelled")


@tagged("post_install", "-at_install")
class TestRecordControlsRpc(RecordControlsMixin, AutomationFlowCase, HttpCase):
    def call_button(self, model, method, ids):
        return self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {"model": model, "method": method, "args": [ids], "kwargs": {}},
        )

    def test_pause_and_cancel_over_rpc(self):
        outsider = new_flow_user(self.env, "control_rpc_outsider", group=None)
        self.authenticate(outsider.login, outsider.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call_button(
                "automation.flow.enrollment", "action_pause", self.enrollment.ids
            )
        self.authenticate(self.user.login, self.user.login)
        self.call_button(
            "automation.flow.enrollment", "action_pause", self.enrollments[:2].ids
        )
        email_task = self.task_of(self.email, self.enrollments[2])
        self.call_button("automation.flow.task", "action_cancel", email_task.ids)
        self.env.invalidate_all()
        self.assertEqual(set(self.enrollments[:2].mapped("state")), {"paused"})
        self.assertEqual(email_task.state, "cancelled")


@tagged("post_install", "-at_install")
# pylint: disable=invalid-commit
class TestRunNowConcurrency(BaseCase):
    """Run now and a scheduler run at once, each on its own connection (the
    test transaction of a TransactionCase is invisible to the other): the
    step runs once. This case commits its data and removes it afterwards."""

    def setUp(self):
        super().setUp()
        self.connection = db_connect(get_db_name())
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partner = env["res.partner"].create({"name": "Run now contact"})
            action = env["ir.actions.server"].create(
                {
                    "name": "Run now: count runs",
                    "model_id": env.ref("base.model_res_partner").id,
                    "state": "code",
                    "code": "for record in records:\n"
                    "    record.write({'ref': (record.ref or '') + 'ran;'})",
                }
            )
            flow = env["automation.flow"].create(
                {
                    "name": "Run now flow",
                    "model_id": env.ref("base.model_res_partner").id,
                    "domain": repr([("id", "=", partner.id)]),
                }
            )
            env["automation.flow.step"].create(
                {
                    "name": "Count",
                    "flow_id": flow.id,
                    "step_type": "action",
                    "server_action_id": action.id,
                }
            )
            flow.action_start()
            flow._enroll()
            cr.commit()
            self.flow_id, self.partner_id, self.action_id = (
                flow.id,
                partner.id,
                action.id,
            )
        self.addCleanup(self.remove_data)

    def remove_data(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["automation.flow"].browse(self.flow_id).unlink()
            env["ir.actions.server"].browse(self.action_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            cr.commit()

    def cursor(self):
        cr = self.connection.cursor()
        self.addCleanup(cr.close)
        # Never hang the suite: a lock wait means one side must give way.
        cr.execute("SET lock_timeout = '2s'")
        return cr

    def task(self, cr, uid):
        """The flow's task, as ``uid`` (an administrator presses Run now)."""
        return api.Environment(cr, uid, {})["automation.flow.task"].search(
            [("flow_id", "=", self.flow_id)]
        )

    def acquire(self, cr):
        """The scheduler's acquisition, leaving out the tasks of other flows
        (demo data): this case commits what it runs."""
        Task = api.Environment(cr, SUPERUSER_ID, {})["automation.flow.task"]
        others = Task.search([("flow_id", "!=", self.flow_id)]).ids
        return Task._acquire_due_tasks(10, exclude_ids=others)

    def runs(self, cr):
        cr.execute("SELECT ref FROM res_partner WHERE id = %s", [self.partner_id])
        return cr.fetchone()[0]

    def test_scheduler_skips_a_task_being_run_now(self):
        user_cr, scheduler_cr = self.cursor(), self.cursor()
        admin = api.Environment(user_cr, SUPERUSER_ID, {}).ref("base.user_admin").id
        self.task(user_cr, admin).action_run_now()
        self.assertFalse(self.acquire(scheduler_cr), "the row run now is skipped")
        user_cr.commit()
        scheduler_cr.rollback()
        self.assertFalse(self.acquire(scheduler_cr), "it ran: nothing is due")
        self.assertEqual(self.runs(scheduler_cr), "ran;")

    def test_run_now_of_a_task_the_scheduler_holds_is_replayed_then_refused(self):
        user_cr, scheduler_cr = self.cursor(), self.cursor()
        taken = self.acquire(scheduler_cr)
        self.assertEqual(taken, self.task(scheduler_cr, SUPERUSER_ID))
        admin = api.Environment(user_cr, SUPERUSER_ID, {}).ref("base.user_admin").id
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(PG_CONCURRENCY_EXCEPTIONS_TO_RETRY),
        ):
            self.task(user_cr, admin).action_run_now()
        user_cr.rollback()
        taken._execute()
        scheduler_cr.commit()
        # Odoo replays the request with a fresh snapshot: the task has ended.
        with self.assertRaisesRegex(UserError, "these are not"):
            self.task(user_cr, admin).action_run_now()
        self.assertEqual(self.runs(user_cr), "ran;")
