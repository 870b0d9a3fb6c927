# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Contact pressure: at most N marketing emails per person per day and per
week across the company's flows; the flow of higher priority goes first, the
others wait for the next day (or week) with the reason, or are skipped after
the maximum deferral; transactional flows are neither capped nor counted."""

from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestContactCaps(AutomationFlowCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Madrid"
        cls.contacts = cls.partners[:2]
        # The newsletter first: its tasks come first in the batch, yet the
        # offers' higher priority goes before it.
        cls.newsletter, cls.newsletter_step = cls.email_flow("Newsletter", "0")
        cls.offers, cls.offers_step = cls.email_flow("Offers", "2")

    @classmethod
    def email_flow(cls, name, priority, **values):
        flow = cls.create_flow(
            name=name,
            priority=priority,
            domain=repr([("id", "in", cls.contacts.ids)]),
            **values,
        )
        step = cls.add_step(flow, "email", name=f"{name} email")
        cls.start(flow)
        return flow, step

    def caps(self, day=0, week=0, max_deferral=7):
        self.company.write(
            {
                "automation_flow_day_cap": day,
                "automation_flow_week_cap": week,
                "automation_flow_max_deferral": max_deferral,
            }
        )

    def enroll_and_run(self, *flows, at=NOW):
        with self.at(at):
            for flow in flows:
                flow._enroll()
            self.run_due()
        self.env.invalidate_all()

    def test_no_cap_by_default(self):
        self.enroll_and_run(self.newsletter, self.offers)
        self.assertTasks(self.newsletter_step, self.contacts, "done")
        self.assertTasks(self.offers_step, self.contacts, "done")

    def test_day_cap_across_two_flows_by_priority(self):
        self.caps(day=1)
        self.enroll_and_run(self.newsletter, self.offers)
        self.assertTasks(self.offers_step, self.contacts, "done")
        self.assertTasks(self.newsletter_step, self.contacts, "scheduled")
        task = self.tasks_of(self.newsletter_step, self.contacts[:1])
        # Monday 10:00 in Madrid: the same time the next day.
        self.assertEqual(task.scheduled_at, NOW + DAY)
        self.assertEqual(task.cap_deferred_at, NOW)
        self.assertEqual(
            task.error_message,
            "Deferred by the contact cap until Tuesday 3 March, 10:00 (Europe/Madrid).",
        )
        self.assertEqual(self.newsletter_step.cap_deferred_count, 2)
        self.assertEqual(self.offers_step.cap_deferred_count, 0)
        card = next(
            card
            for card in self.newsletter.get_step_tree()["steps"]
            if card["id"] == self.newsletter_step.id
        )
        self.assertIn(
            ("cap_deferred", 2),
            [(event["event"], event["count"]) for event in card["events"]],
        )
        report = self.env["automation.flow.task.report"].search(
            [("step_id", "=", self.newsletter_step.id)]
        )
        self.assertEqual(sum(report.mapped("cap_deferred_count")), 2)

        # The next day, the newsletter goes: yesterday's offers count for the
        # week only.
        self.enroll_and_run(at=NOW + DAY)
        self.assertTasks(self.newsletter_step, self.contacts, "done")
        self.assertEqual(task.cap_deferred_at, NOW, "when it was first held")

    def test_the_cap_counts_per_address(self):
        """Two records with the same address are one person."""
        self.contacts[1].email = self.contacts[0].email.upper()
        self.caps(day=1)
        self.enroll_and_run(self.offers)
        states = self.tasks_of(self.offers_step, self.contacts).mapped("state")
        self.assertEqual(sorted(states), ["done", "scheduled"])

    def test_week_cap_waits_for_monday(self):
        self.caps(week=1)
        self.enroll_and_run(self.newsletter, self.offers)
        self.assertTasks(self.offers_step, self.contacts, "done")
        task = self.tasks_of(self.newsletter_step, self.contacts[:1])
        self.assertEqual(task.scheduled_at, NOW + 7 * DAY)
        self.assertIn("Monday 9 March, 10:00", task.error_message)

    def test_skipped_after_the_maximum_deferral(self):
        self.caps(day=1, max_deferral=0)
        self.enroll_and_run(self.newsletter, self.offers)
        self.assertTasks(self.newsletter_step, self.contacts, "skipped")
        self.assertEqual(
            self.tasks_of(self.newsletter_step, self.contacts[:1]).error_message,
            "Skipped: the contact cap held the email back for more than 0 days.",
        )

    def test_deferred_then_skipped_once_the_deferral_is_spent(self):
        """Held back a day, then still over the cap: more than 1 day in all."""
        self.caps(day=1, max_deferral=1)
        self.enroll_and_run(self.newsletter, self.offers)
        self.assertTasks(self.newsletter_step, self.contacts, "scheduled")
        # The next day, a third flow of the highest priority takes the cap.
        urgent, urgent_step = self.email_flow("Urgent", "3")
        self.enroll_and_run(urgent, at=NOW + DAY)
        self.assertTasks(urgent_step, self.contacts, "done")
        self.assertTasks(self.newsletter_step, self.contacts, "skipped")

    def test_transactional_flows_are_neither_capped_nor_counted(self):
        self.caps(day=1)
        receipts, receipts_step = self.email_flow("Receipts", "0", transactional=True)
        self.enroll_and_run(receipts, self.offers, self.newsletter)
        self.assertTasks(receipts_step, self.contacts, "done")
        self.assertTasks(self.offers_step, self.contacts, "done")
        self.assertTasks(self.newsletter_step, self.contacts, "scheduled")

    def test_test_enrollments_are_not_capped(self):
        self.caps(day=1)
        self.enroll_and_run(self.offers)
        wizard = self.env["automation.flow.test"].create(
            {"flow_id": self.newsletter.id, "res_id": self.contacts[0].id}
        )
        with self.at(NOW):
            wizard.action_enroll()
            wizard.action_run_next()
        self.assertEqual(wizard.task_ids.mapped("state"), ["done"])

    def test_one_query_for_the_cap_counts_of_a_batch(self):
        """Caps on cost one query per batch, whatever its size."""

        def queries(size, caps):
            self.caps(day=caps, week=caps)
            flow, _step = self.email_flow(f"Flow {size} {caps}", "0")
            flow.domain = repr([("id", "in", self.partners[:size].ids)])
            with self.at(NOW):
                flow._enroll()
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            with self.at(NOW):
                self.run_due()
            self.env.flush_all()
            return self.cr.sql_log_count - start

        queries(2, 0)  # warm the caches
        self.assertEqual(queries(6, 5) - queries(6, 0), 1)
        self.assertEqual(queries(6, 50) - queries(2, 50), queries(6, 0) - queries(2, 0))

    def test_settings_are_for_administrators(self):
        manager = new_flow_user(self.env, "caps_manager", AUTOMATION_MANAGER)
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(manager).create(
                {"automation_flow_day_cap": 3}
            )
        with self.assertRaises(AccessError):
            self.company.with_user(manager).automation_flow_day_cap = 3
        settings = self.env["res.config.settings"].create(
            {"automation_flow_day_cap": 3, "automation_flow_week_cap": 10}
        )
        settings.execute()
        self.assertEqual(
            (
                self.company.automation_flow_day_cap,
                self.company.automation_flow_week_cap,
            ),
            (3, 10),
        )

    def test_each_company_has_its_caps(self):
        """Company B's flows are neither capped by A's policy nor counted
        for A."""
        self.caps(day=1)
        company_b = self.env["res.company"].create({"name": "Caps B"})
        self.contacts.company_id = False
        flow_b = self.create_flow(
            name="B's offers",
            company_id=company_b.id,
            domain=repr([("id", "in", self.contacts.ids)]),
        )
        step_b = self.add_step(flow_b, "email")
        self.start(flow_b)
        self.enroll_and_run(flow_b, self.offers)
        self.assertTasks(step_b, self.contacts, "done")
        self.assertTasks(self.offers_step, self.contacts, "done")
