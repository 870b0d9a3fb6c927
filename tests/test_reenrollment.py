# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import threading
from contextlib import closing
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from .common import NOW, AutomationFlowCase

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestReenrollment(AutomationFlowCase):
    """The flow's re-enrollment policy: once ever, again after the previous
    journey ended, again some days after it began; never two journeys of one
    record at once."""

    def flow_with(self, policy, **values):
        flow = self.create_flow(reenroll_policy=policy, **values)
        step = self.add_step(flow)
        return self.start(flow), step

    def journeys(self, flow, partner):
        return flow.enrollment_ids.filtered(lambda e: e.res_id == partner.id).sorted(
            "id"
        )

    def test_once_ever_is_the_default(self):
        flow = self.create_flow()
        self.assertEqual(flow.reenroll_policy, "once")
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        self.run_due()
        self.assertEqual(set(flow.enrollment_ids.mapped("state")), {"done"})
        self.assertFalse(flow._enroll(), "a record that went through stays out")

    def test_again_after_the_previous_journey_ended(self):
        flow, step = self.flow_with("after_end")
        partner = self.partners[0]
        flow._enroll(partner.ids)
        self.assertFalse(flow._enroll(partner.ids), "not while its journey runs")
        self.run_due()
        self.assertEqual(self.journeys(flow, partner).mapped("state"), ["done"])
        again = flow._enroll(partner.ids)
        self.assertEqual(len(again), 1)
        self.assertEqual(
            self.journeys(flow, partner).mapped("state"), ["done", "running"]
        )
        self.assertFalse(again.once_only)
        self.assertEqual(len(self.tasks_of(step, partner)), 2)

    def test_again_some_days_after_the_previous_journey_began(self):
        flow, _step = self.flow_with("after_days", reenroll_days=10)
        partner = self.partners[0]
        with self.at(NOW):
            flow._enroll(partner.ids)
        with self.at(NOW + 11 * DAY):
            self.assertFalse(flow._enroll(partner.ids), "its journey still runs")
            self.run_due()
        with self.at(NOW + 12 * DAY):
            self.assertEqual(len(flow._enroll(partner.ids)), 1, "ended, 12 days")
            self.run_due()
        with self.at(NOW + 21 * DAY):
            self.assertFalse(flow._enroll(partner.ids), "9 days after it began")
        with self.at(NOW + 22 * DAY + timedelta(seconds=1)):
            self.assertEqual(len(flow._enroll(partner.ids)), 1)
        self.assertEqual(len(self.journeys(flow, partner)), 3)

    def test_days_must_be_positive(self):
        with self.assertRefused(ValidationError, "at least one day"):
            self.create_flow(reenroll_policy="after_days", reenroll_days=0)

    def test_uniqueness_value_enters_again_after_its_journey(self):
        self.partners[1].email = self.partners[0].email
        flow, _step = self.flow_with(
            "after_end",
            unique_field_id=self.env.ref("base.field_res_partner__email").id,
        )
        flow._enroll((self.partners[0] | self.partners[1]).ids)
        self.assertFalse(flow._enroll(self.partners[1].ids), "its email runs")
        self.run_due()
        again = flow._enroll((self.partners[0] | self.partners[1]).ids)
        self.assertEqual(again.mapped("res_id"), self.partners[0].ids)

    def insert_running(self, flow, partner, once):
        self.env.cr.execute(
            """INSERT INTO automation_flow_enrollment
                   (flow_id, company_id, model, res_id, state, once_only)
               VALUES (%s, %s, 'res.partner', %s, 'running', %s)""",
            [flow.id, flow.company_id.id, partner.id, once],
        )

    def test_database_refuses_two_running_journeys(self):
        flow, _step = self.flow_with("after_end")
        partner = self.partners[0]
        flow._enroll(partner.ids)
        self.env.flush_all()
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.insert_running(flow, partner, once=False)

    def test_database_refuses_a_second_journey_under_once_ever(self):
        flow, _step = self.flow_with("once")
        partner = self.partners[0]
        flow._enroll(partner.ids)
        self.run_due()
        self.assertEqual(self.journeys(flow, partner).state, "done")
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.insert_running(flow, partner, once=True)
        # Switched to "again", the flow lets it through.
        flow.reenroll_policy = "after_end"
        self.assertEqual(len(flow._enroll(partner.ids)), 1)

    def test_stage_entered_twice_runs_its_steps_twice(self):
        """The seed's sub-states: each time a record enters "Installing", an
        automation rule enrolls it and the flow's "on open" step runs."""
        action = self.env["ir.actions.server"].create(
            {
                "name": "On open: count",
                "model_id": self.partner_model.id,
                "state": "code",
                "code": "for record in records:\n"
                "    record.write({'ref': (record.ref or '') + '+'})",
            }
        )
        flow = self.create_flow(
            domain="[('function', '=', 'Installing')]", reenroll_policy="after_end"
        )
        self.add_step(flow, server_action_id=action.id)
        self.start(flow)
        rule = self.env["base.automation"].create(
            {
                "name": "Installing opened",
                "model_id": self.partner_model.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [
                    (6, 0, self.env.ref("base.field_res_partner__function").ids)
                ],
                "filter_domain": "[('function', '=', 'Installing')]",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Enroll in the installation flow",
                "model_id": self.partner_model.id,
                "state": "automation_flow_enroll",
                "automation_flow_id": flow.id,
                "usage": "base_automation",
                "base_automation_id": rule.id,
            }
        )
        partner = self.env["res.partner"].create({"name": "Customer"})
        for expected in ("+", "++"):
            partner.function = "Installing"
            self.run_due()
            self.assertEqual(partner.ref, expected)
            partner.function = "Installed"
        self.assertEqual(self.journeys(flow, partner).mapped("state"), ["done"] * 2)


@tagged("post_install", "-at_install")
# pylint: disable=invalid-commit
class TestReenrollmentConcurrency(BaseCase):
    """Two workers enrolling the same record again at once, each on its own
    connection (committed data, removed afterwards)."""

    def setUp(self):
        super().setUp()
        self.connection = db_connect(get_db_name())
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partner = env["res.partner"].create({"name": "Concurrent again"})
            action = env["ir.actions.server"].create(
                {
                    "name": "Concurrent again",
                    "model_id": env.ref("base.model_res_partner").id,
                    "state": "code",
                    "code": "pass",
                }
            )
            flow = env["automation.flow"].create(
                {
                    "name": "Concurrent again",
                    "model_id": env.ref("base.model_res_partner").id,
                    "domain": repr([("id", "=", partner.id)]),
                    "reenroll_policy": "after_end",
                    "step_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "Later",
                                "step_type": "action",
                                "server_action_id": action.id,
                                "delay": 1,
                            },
                        )
                    ],
                }
            )
            flow.action_start()
            # A journey that ended: the record may enter again.
            flow._enroll()._set_state("done")
            cr.commit()
            self.flow_id, self.partner_id = flow.id, partner.id
            self.action_id = action.id
        self.addCleanup(self.remove_data)

    def remove_data(self):
        with closing(self.connection.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["automation.flow"].browse(self.flow_id).unlink()
            env["ir.actions.server"].browse(self.action_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            cr.commit()

    def flow_in_worker(self):
        cr = self.connection.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET lock_timeout = '10s'")
        return api.Environment(cr, SUPERUSER_ID, {})["automation.flow"].browse(
            self.flow_id
        )

    def test_two_workers_start_one_journey(self):
        first, second = self.flow_in_worker(), self.flow_in_worker()
        self.assertEqual(len(first._enroll()), 1)
        outcome = {}

        def enroll_in_second_worker():
            try:
                with mute_logger("odoo.sql_db"):
                    outcome["enrolled"] = len(second._enroll())
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                outcome["postponed"] = error
                second.env.cr.rollback()

        # The second worker saw the record's journey ended, blocks on the
        # index of running journeys until the first commits, then inserts
        # nothing.
        thread = threading.Thread(target=enroll_in_second_worker)
        thread.start()
        first.env.cr.commit()
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertEqual(outcome.get("enrolled", 0), 0, outcome)
        second.env.cr.commit()
        with closing(self.connection.cursor()) as cr:
            cr.execute(
                """SELECT state, count(*) FROM automation_flow_enrollment
                   WHERE flow_id = %s GROUP BY state ORDER BY state""",
                [self.flow_id],
            )
            self.assertEqual(cr.fetchall(), [("done", 1), ("running", 1)])
