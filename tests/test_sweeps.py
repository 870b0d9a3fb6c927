# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.base.models.ir_cron import ir_cron as IrCron

from .common import NOW, AutomationFlowCase


@tagged("post_install", "-at_install")
class TestSweeps(AutomationFlowCase):
    """Sweeps over every task of a flow cost the same whatever its size."""

    def contacts(self, prefix, count):
        return self.env["res.partner"].create(
            [
                {"name": f"{prefix} {index}", "email": f"{prefix}{index}@example.com"}
                for index in range(count)
            ]
        )

    def flow_of(self, prefix, count):
        """A running flow on ``count`` new contacts whose email step is done:
        two children wait a day for the email to be opened or replied to, a
        third is due in two days."""
        self.contacts(prefix, count)
        flow = self.create_flow(name=prefix, domain=f"[('name', '=like', '{prefix}%')]")
        email = self.add_step(flow, "email")
        for trigger in ("email_opened", "email_replied"):
            self.add_step(
                flow, parent=email, trigger=trigger, expiry=1, expiry_unit="days"
            )
        self.add_step(flow, parent=email, delay=2, delay_unit="days")
        self.start(flow)
        with self.at(NOW):
            flow.action_run()
            self.run_due()
            mails = flow.enrollment_ids.task_ids.mail_mail_id
            self.env["mail.mail"].process_email_queue(ids=mails.ids)
        return flow

    def count_queries(self, function):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        function()
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def test_done_costs_the_same_for_5_or_60_contacts(self):
        # The ORM writes 100 rows per statement: 60 contacts have 180 pending
        # tasks.
        warmup, small, big = (
            self.flow_of("Sweep warmup", 2),
            self.flow_of("Sweep small", 5),
            self.flow_of("Sweep big", 60),
        )
        done_at = NOW + timedelta(hours=1)
        with self.at(done_at):
            self.count_queries(warmup.action_done)
            queries = self.count_queries(small.action_done)
            self.env.invalidate_all()
            with self.assertQueryCount(queries):
                big.action_done()
        self.assertEqual(big.state, "done")
        enrollments = big.enrollment_ids
        self.assertEqual(len(enrollments), 60)
        self.assertEqual(set(enrollments.mapped("state")), {"cancelled"})
        self.assertEqual(
            set(enrollments.mapped("exit_reason")), {"The flow was stopped."}
        )
        self.assertEqual(set(enrollments.mapped("date_done")), {done_at})
        pending = big.enrollment_ids.task_ids.filtered(lambda t: t.state != "done")
        self.assertEqual(len(pending), 180, "the waiting and the scheduled children")
        self.assertEqual(set(pending.mapped("state")), {"cancelled"})
        self.assertEqual(set(pending.mapped("reason_code")), {"flow_done"})
        self.assertEqual(set(pending.mapped("done_at")), {done_at})

    def test_expiring_costs_the_same_for_5_or_60_contacts(self):
        Task = self.env["automation.flow.task"]
        small = self.flow_of("Sweep small", 5)
        expiry = NOW + timedelta(days=1, minutes=1)
        with self.at(NOW):
            Task._expire_waiting_tasks()  # warm up: nothing expires yet
        with self.at(expiry):
            queries = self.count_queries(Task._expire_waiting_tasks)
        self.assertEqual(
            set(small.enrollment_ids.task_ids.mapped("state")),
            {"done", "expired", "scheduled"},
        )
        big = self.flow_of("Sweep big", 60)
        with self.at(expiry), self.assertQueryCount(queries):
            self.assertEqual(Task._expire_waiting_tasks(), 120)
        expired = big.enrollment_ids.task_ids.filtered(lambda t: t.state == "expired")
        self.assertEqual(len(expired), 120)
        self.assertEqual(set(expired.mapped("done_at")), {expiry})

    def test_progress_is_reported_to_the_cron_after_each_batch(self):
        """Odoo's cron runner fails a job whose runs were killed before any
        progress was reported: each batch reports it, not the end of the run."""
        self.env["ir.config_parameter"].set_param("automation_flow.batch_size", 2)
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        self.assertEqual(len(flow.enrollment_ids.task_ids), 6)
        cron = self.env.ref("automation_flow.cron_process_due_tasks")
        _cron, progress = cron._add_progress()
        reported = []
        notify = IrCron._notify_progress

        def record(cron, **values):
            notify(cron, **values)
            reported.append((progress.done, progress.remaining))

        with patch.object(IrCron, "_notify_progress", record):
            # As the cron runs it: with its progress record in the context.
            self.env["automation.flow.task"].with_context(
                ir_cron_progress_id=progress.id
            )._process_due_tasks()
        self.assertEqual(reported, [(2, 4), (4, 2), (6, 0), (6, 0)])
