# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import automation_flow
from .common import AutomationFlowCase


@tagged("post_install", "-at_install")
class TestEnrollment(AutomationFlowCase):
    def test_on_demand_run_enrolls_matching_records_once(self):
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow)
        self.assertEqual(flow.state, "on_demand")
        flow.action_run()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(self.partners.ids)
        )
        self.assertTasks(step, self.partners, "scheduled")
        flow.action_run()
        self.assertEqual(len(flow.enrollment_ids), len(self.partners))
        self.assertEqual(len(self.tasks_of(step)), len(self.partners))

    def test_draft_flow_enrolls_nothing(self):
        flow = self.create_flow()
        self.add_step(flow)
        with self.assertRaises(UserError):
            flow.action_run()
        self.assertFalse(flow._enroll())

    def test_start_needs_a_step(self):
        flow = self.create_flow()
        with self.assertRaisesRegex(UserError, "at least one step"):
            flow.action_start()

    def test_uniqueness_enrolls_one_per_value_and_counts_empty(self):
        self.partners[1].email = "CONTACT0@example.com "
        self.partners[2].email = "contact0@example.com"
        self.partners[3].email = False
        flow = self.create_flow(
            unique_field_id=self.env.ref("base.field_res_partner__email").id
        )
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        enrolled = flow.enrollment_ids
        self.assertEqual(
            sorted(enrolled.mapped("res_id")),
            sorted((self.partners[0] | self.partners[4] | self.partners[5]).ids),
            "the first record of each email (case and spaces ignored) enters",
        )
        self.assertEqual(
            sorted(enrolled.mapped("unique_key")),
            ["contact0@example.com", "contact4@example.com", "contact5@example.com"],
        )
        self.assertEqual(flow.empty_key_count, 1)
        # The flow says how many were left out as duplicates of a value.
        self.assertEqual(flow.duplicate_key_count, 2)
        # A new record with an email already enrolled does not enter.
        newcomer = self.env["res.partner"].create(
            {"name": "Flow contact late", "email": "contact4@example.com"}
        )
        flow.action_run()
        self.assertNotIn(newcomer.id, flow.enrollment_ids.mapped("res_id"))
        self.assertEqual(len(flow.enrollment_ids), 3)
        self.assertEqual(flow.duplicate_key_count, 3)

    def test_unique_index_refuses_a_second_enrollment(self):
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        enrollment = flow.enrollment_ids[:1]
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.env["automation.flow.enrollment"].create(
                {
                    "flow_id": flow.id,
                    "model": "res.partner",
                    "res_id": enrollment.res_id,
                }
            )

    def test_test_enrollment_beside_a_real_one(self):
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow)
        flow.action_run()
        partner = self.partners[0]
        test_enrollment = flow._enroll([partner.id], is_test=True)
        self.assertEqual(len(test_enrollment), 1)
        self.assertTrue(test_enrollment.is_test)
        self.assertEqual(
            sorted(
                flow.enrollment_ids.filtered(lambda e: e.res_id == partner.id).mapped(
                    "is_test"
                )
            ),
            [False, True],
        )
        self.assertEqual(flow.enrollment_count, len(self.partners), "tests kept apart")
        self.assertEqual(len(self.tasks_of(step, partner)), 2)

    def test_company_separation(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        self.partners[:2].company_id = other_company
        self.partners[2:4].company_id = self.env.company
        flow = self.create_flow(company_id=self.env.company.id)
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")),
            sorted(self.partners[2:].ids),
            "records of another company stay out; records of no company enter",
        )
        self.assertEqual(set(flow.enrollment_ids.company_id.ids), {self.env.company.id})

    def test_periodic_cron_enrolls_new_records(self):
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow, periodic=True)
        self.assertEqual(flow.state, "periodic")
        self.env["automation.flow"]._cron_enroll_periodic()
        self.assertEqual(len(flow.enrollment_ids), len(self.partners))
        newcomer = self.env["res.partner"].create({"name": "Flow contact new"})
        self.env["automation.flow"]._cron_enroll_periodic()
        self.assertIn(newcomer.id, flow.enrollment_ids.mapped("res_id"))
        self.assertTasks(step, newcomer, "scheduled")

    def test_on_demand_flow_is_not_enrolled_by_the_cron(self):
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)
        self.env["automation.flow"]._cron_enroll_periodic()
        self.assertFalse(flow.enrollment_ids)

    def test_saved_filter_combines_with_the_domain(self):
        saved_filter = self.env["automation.flow.filter"].create(
            {
                "name": "Contacts 1 and 2",
                "model_id": self.partner_model.id,
                "domain": f"[('id', 'in', {self.partners[1:3].ids})]",
            }
        )
        flow = self.create_flow(filter_id=saved_filter.id)
        self.add_step(flow)
        self.start(flow)
        flow.action_run()
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(self.partners[1:3].ids)
        )

    def test_event_enrollment_through_an_automation_rule(self):
        flow = self.create_flow(
            domain="[('name', '=like', 'Flow contact%'), ('function', '=', 'Buyer')]"
        )
        step = self.add_step(flow)
        self.start(flow)
        rule = self.add_enroll_rule(
            flow,
            "field_set",
            field_id=self.env["ir.model.fields"]._get("res.partner", "function").id,
            value_char="Buyer",
        )
        self.assertEqual(rule.action_server_ids.state, "automation_flow_enroll")
        buyer = self.env["res.partner"].create(
            {"name": "Flow contact buyer", "function": "Buyer"}
        )
        self.assertEqual(flow.enrollment_ids.mapped("res_id"), buyer.ids)
        self.assertTasks(step, buyer, "scheduled")
        # The rule fires on updates too: a record that comes to match enters.
        self.partners[0].function = "Buyer"
        self.assertIn(self.partners[0].id, flow.enrollment_ids.mapped("res_id"))
        self.assertNotIn(self.partners[1].id, flow.enrollment_ids.mapped("res_id"))

    def test_enroll_server_action_on_a_draft_flow_does_nothing(self):
        flow = self.create_flow()
        self.add_step(flow)
        action = self.env["ir.actions.server"].create(
            {
                "name": "Enroll",
                "model_id": self.partner_model.id,
                "state": "automation_flow_enroll",
                "automation_flow_id": flow.id,
            }
        )
        action.with_context(
            active_model="res.partner", active_ids=self.partners.ids
        ).run()
        self.assertFalse(flow.enrollment_ids)
        self.start(flow)
        action.with_context(
            active_model="res.partner", active_ids=self.partners.ids
        ).run()
        self.assertEqual(len(flow.enrollment_ids), len(self.partners))

    def test_done_cancels_pending_tasks_and_enrolls_nothing_more(self):
        flow = self.create_flow()
        step = self.add_step(flow, delay=1, delay_unit="days")
        self.start(flow, periodic=True)
        flow.action_run()
        flow.action_done()
        self.assertTasks(step, self.partners, "cancelled")
        self.assertEqual(set(flow.enrollment_ids.mapped("state")), {"cancelled"})
        self.env["res.partner"].create({"name": "Flow contact after done"})
        self.env["automation.flow"]._cron_enroll_periodic()
        self.assertEqual(len(flow.enrollment_ids), len(self.partners))

    def test_back_to_draft_only_while_nothing_ran(self):
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)
        flow.action_draft()
        self.assertEqual(flow.state, "draft")
        self.start(flow)
        flow.action_run()
        with self.assertRaisesRegex(UserError, "cannot go back to draft"):
            flow.action_draft()

    def test_duplicate_copies_the_step_tree(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email")
        self.add_step(flow, "activity", parent=email, trigger="email_opened")
        copy = flow.copy()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(len(copy.step_ids), 2)
        copied_email = copy.step_ids.filtered(lambda s: not s.parent_id)
        self.assertEqual(copied_email.step_type, "email")
        self.assertEqual(copied_email.child_ids.trigger, "email_opened")
        self.assertNotEqual(copied_email, email)

    def test_a_broken_periodic_flow_does_not_stop_the_others(self):
        broken = self.create_flow(name="Broken")
        self.add_step(broken)
        self.start(broken, periodic=True)
        healthy = self.create_flow(name="Healthy")
        self.add_step(healthy)
        self.start(healthy, periodic=True)
        # A domain that became invalid after the flow started (a field was
        # removed, say), written in SQL as no form would accept it.
        self.env.cr.execute(
            "UPDATE automation_flow SET domain = %s WHERE id = %s",
            ["[('no_such_field', '=', 1)]", broken.id],
        )
        broken.invalidate_recordset(["domain"])
        with mute_logger("odoo.addons.automation_flow.models.automation_flow"):
            self.env["automation.flow"]._cron_enroll_periodic()
        self.assertEqual(len(healthy.enrollment_ids), len(self.partners))
        self.assertFalse(broken.enrollment_ids)
        self.assertIn("Enrollment failed", broken.message_ids[0].body)

    def broken_periodic_flow(self, name):
        flow = self.create_flow(name=name)
        self.add_step(flow)
        self.start(flow, periodic=True)
        # A domain that became invalid after the flow started (a field was
        # removed, say), written in SQL as no form would accept it.
        self.env.cr.execute(
            "UPDATE automation_flow SET domain = %s WHERE id = %s",
            ["[('no_such_field', '=', 1)]", flow.id],
        )
        flow.invalidate_recordset(["domain"])
        return flow

    def assertFailureNotice(self, flow):
        self.assertIn(
            "Enrollment failed",
            "".join(flow.message_ids.mapped("body")),
            f"the notice on {flow.name}",
        )

    def test_two_broken_flows_in_one_run_both_get_their_notice(self):
        flows = self.broken_periodic_flow("Broken 1") | self.broken_periodic_flow(
            "Broken 2"
        )
        with mute_logger("odoo.addons.automation_flow.models.automation_flow"):
            self.env["automation.flow"]._cron_enroll_periodic()
        for flow in flows:
            self.assertFailureNotice(flow)

    def test_two_broken_flows_in_one_committing_run_both_get_their_notice(self):
        """The cron commits as it goes and undoes a failure back to its last
        commit, which undid the notice of the flow that failed before.

        Tests may not commit: in the registry's test mode, a new cursor is a
        ``TestCursor`` whose commit and rollback release and roll back a
        savepoint, so the cron's own commit path runs as in production.
        """
        flows = self.broken_periodic_flow("Broken 1") | self.broken_periodic_flow(
            "Broken 2"
        )
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        with (
            self.registry.cursor() as cr,
            patch.object(automation_flow, "is_testing", return_value=False),
            mute_logger("odoo.addons.automation_flow.models.automation_flow"),
        ):
            self.env(cr=cr)["automation.flow"]._cron_enroll_periodic()
        self.env.invalidate_all()
        for flow in flows:
            self.assertFailureNotice(flow)

    def test_a_batch_checks_its_listed_candidates_again(self):
        """The candidates are listed once for all batches: by the time a
        batch is inserted, one of its records may have stopped matching and
        another may have entered by another way. The batch enrolls neither."""
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow)
        listed = flow._candidate_ids(None, False)
        self.assertEqual(listed, self.partners.ids)
        gone, entered = self.partners[1], self.partners[2]
        gone.name = "Someone else"
        flow._enroll(res_ids=entered.ids)
        rows = flow._insert_enrollments(listed, False)
        self.assertEqual(
            sorted(res_id for _id, res_id in rows),
            sorted((self.partners - gone - entered).ids),
        )
        self.assertEqual(
            len(flow.enrollment_ids.filtered(lambda e: e.res_id == entered.id)), 1
        )
        self.assertNotIn(gone.id, flow.enrollment_ids.mapped("res_id"))
        self.assertTasks(step, entered, "scheduled")

    def test_a_large_run_leaves_fresh_statistics_to_the_scheduler(self):
        """The scheduler takes due tasks by an index, ``LIMIT`` a batch: the
        planner must know how many tasks a large enrollment run inserted, or
        it reads and sorts all of them for each batch."""
        self.env["ir.config_parameter"].set_param(
            "automation_flow.enroll_batch_size", "4"
        )
        flow = self.create_flow()
        self.add_step(flow)
        self.start(flow)
        flow._enroll()
        self.env.cr.execute(
            """SELECT reltuples FROM pg_class
               WHERE oid = 'automation_flow_task'::regclass"""
        )
        planned = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT count(*) FROM automation_flow_task")
        self.assertEqual(planned, self.env.cr.fetchone()[0])

    def test_enrollment_in_several_batches(self):
        self.env["ir.config_parameter"].set_param(
            "automation_flow.enroll_batch_size", "4"
        )
        self.partners[3].email = self.partners[0].email
        flow = self.create_flow(
            unique_field_id=self.env.ref("base.field_res_partner__email").id
        )
        step = self.add_step(flow)
        self.start(flow)
        flow.action_run()
        expected = self.partners - self.partners[3]
        self.assertEqual(
            sorted(flow.enrollment_ids.mapped("res_id")), sorted(expected.ids)
        )
        self.assertTasks(step, expected, "scheduled")
        flow.action_run()
        self.assertEqual(len(flow.enrollment_ids), len(expected), "nothing twice")
