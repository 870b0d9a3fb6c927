# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import threading
from contextlib import closing

from odoo import SUPERUSER_ID, api
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
# pylint: disable=invalid-commit
class TestConcurrentWorkers(BaseCase):
    """Two scheduler runs at once, each on its own database connection.

    The test transaction of a TransactionCase is invisible to other
    connections, so this case commits its data and removes it afterwards.
    """

    def setUp(self):
        super().setUp()
        self.connection = db_connect(get_db_name())
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partners = env["res.partner"].create(
                [{"name": f"Concurrent contact {i}"} for i in range(40)]
            )
            flow = env["automation.flow"].create(
                {
                    "name": "Concurrent flow",
                    "model_id": env.ref("base.model_res_partner").id,
                    "domain": "[('name', '=like', 'Concurrent contact%')]",
                }
            )
            env["automation.flow.step"].create(
                {
                    "name": "Activity",
                    "flow_id": flow.id,
                    "step_type": "activity",
                    "activity_type_id": env.ref("mail.mail_activity_data_todo").id,
                    "activity_user_id": SUPERUSER_ID,
                }
            )
            flow.action_start()
            flow._enroll()
            cr.commit()
            self.flow_id, self.partner_ids = flow.id, partners.ids
        self.addCleanup(self.remove_data)

    def remove_data(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["mail.activity"].search(
                [("res_model", "=", "res.partner"), ("res_id", "in", self.partner_ids)]
            ).unlink()
            cr.execute(
                """DELETE FROM automation_flow_deferred_move WHERE task_id IN
                   (SELECT id FROM automation_flow_task WHERE flow_id = %s)""",
                [self.flow_id],
            )
            env["automation.flow"].browse(self.flow_id).unlink()
            env["res.partner"].browse(self.partner_ids).unlink()
            cr.commit()

    def worker(self):
        cr = self.connection.cursor()
        self.addCleanup(cr.close)
        # Never hang the suite: a lock wait means the engine is wrong.
        cr.execute("SET lock_timeout = '10s'")
        return api.Environment(cr, SUPERUSER_ID, {})["automation.flow.task"]

    def test_two_workers_take_disjoint_tasks(self):
        first, second = self.worker(), self.worker()
        taken_first = first._acquire_due_tasks(15)
        taken_second = second._acquire_due_tasks(1000)
        flow_tasks = first.search([("flow_id", "=", self.flow_id)])
        self.assertEqual(len(taken_first), 15)
        self.assertFalse(set(taken_first.ids) & set(taken_second.ids))
        self.assertLessEqual(
            set(flow_tasks.ids), set(taken_first.ids) | set(taken_second.ids)
        )

    def test_overlapping_runs_execute_each_task_once(self):
        first, second = self.worker(), self.worker()
        # The first run executes everything but has not committed yet when
        # the second one starts: the second finds every task locked.
        self.assertGreaterEqual(first._process_due_tasks(), 40)
        self.assertEqual(second._process_due_tasks(), 0)
        first.env.cr.commit()
        second.env.cr.rollback()
        self.assertEqual(second._process_due_tasks(), 0)
        second.env.cr.commit()
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                """SELECT res_id, count(*) FROM mail_activity
                   WHERE res_model = 'res.partner' AND res_id = ANY(%s)
                   GROUP BY res_id""",
                [self.partner_ids],
            )
            counts = dict(cr.fetchall())
            cr.execute(
                "SELECT DISTINCT state FROM automation_flow_task WHERE flow_id = %s",
                [self.flow_id],
            )
            self.assertEqual(cr.fetchall(), [("done",)])
        self.assertEqual(sorted(counts), sorted(self.partner_ids))
        self.assertEqual(set(counts.values()), {1}, "no activity created twice")

    def test_two_workers_move_each_open_once(self):
        """Two scheduler runs at once drain the opens whose children wait to
        move: the second skips the rows the first holds, and none is left
        or done twice."""
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                """INSERT INTO automation_flow_deferred_move (task_id, event, at)
                   SELECT id, 'opened', now() at time zone 'UTC'
                   FROM automation_flow_task WHERE flow_id = %s""",
                [self.flow_id],
            )
            cr.commit()
        first, second = self.worker(), self.worker()
        first_moves = first.env["automation.flow.deferred.move"]
        second_moves = second.env["automation.flow.deferred.move"]
        self.assertEqual(first_moves._move_children(15), 40, "three batches")
        self.assertEqual(second_moves._move_children(15), 0, "all held, none waited")
        first.env.cr.commit()
        second.env.cr.rollback()
        self.assertEqual(second_moves._move_children(15), 0, "none left")

    def test_two_workers_enrolling_at_once_enroll_each_record_once(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            newcomers = env["res.partner"].create(
                [{"name": f"Concurrent contact new {i}"} for i in range(10)]
            )
            cr.commit()
            self.partner_ids += newcomers.ids
        first, second = self.worker(), self.worker()
        flow_first = first.env["automation.flow"].browse(self.flow_id)
        flow_second = second.env["automation.flow"].browse(self.flow_id)
        self.assertEqual(len(flow_first._enroll()), 10)
        outcome = {}

        def enroll_in_second_worker():
            try:
                with mute_logger("odoo.sql_db"):
                    outcome["enrolled"] = len(flow_second._enroll())
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                outcome["postponed"] = error
                second.env.cr.rollback()

        # The second worker blocks on the unique index until the first one
        # commits, then inserts nothing (or is told to retry later).
        thread = threading.Thread(target=enroll_in_second_worker)
        thread.start()
        first.env.cr.commit()
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertEqual(outcome.get("enrolled", 0), 0, outcome)
        second.env.cr.commit()
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                """SELECT res_id, count(*) FROM automation_flow_enrollment
                   WHERE flow_id = %s GROUP BY res_id HAVING count(*) > 1""",
                [self.flow_id],
            )
            self.assertEqual(cr.fetchall(), [], "no record enrolled twice")
            cr.execute(
                "SELECT count(*) FROM automation_flow_enrollment WHERE flow_id = %s",
                [self.flow_id],
            )
            self.assertEqual(cr.fetchone()[0], 50)
