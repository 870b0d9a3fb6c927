# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestEmailAuthor(AutomationFlowCase):
    """Flows send in the name of their company, never as any contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "author_manager", AUTOMATION_MANAGER)
        cls.flow = cls.create_flow()
        cls.step = cls.add_step(cls.flow, "email")

    def set_author(self, partner):
        self.step.with_user(self.manager).mail_author_id = partner

    def test_company_and_its_users_may_author_emails(self):
        self.set_author(self.env.company.partner_id)
        self.assertEqual(self.step.mail_author_id, self.env.company.partner_id)
        self.set_author(self.salesperson.partner_id)
        self.assertEqual(self.step.mail_author_id, self.salesperson.partner_id)

    def test_other_partners_cannot_author_emails(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        for partner in (
            self.partners[0],
            new_flow_user(self.env, "author_portal", "base.group_portal").partner_id,
            new_flow_user(self.env, "author_other", company=other_company).partner_id,
            other_company.partner_id,
        ):
            with self.assertRefused(ValidationError, "choose the company"):
                self.set_author(partner)
        self.assertFalse(self.step.mail_author_id)

    def test_author_choices_offered(self):
        domain = safe_eval(
            self.step._fields["mail_author_id"].domain,
            {
                "company_id": self.step.company_id.id,
                "company_partner_id": self.step.company_partner_id.id,
            },
        )
        authors = self.env["res.partner"].with_user(self.manager).search(domain)
        self.assertIn(self.env.company.partner_id, authors)
        self.assertIn(self.salesperson.partner_id, authors)
        self.assertNotIn(self.partners[0], authors)

    def emails_of_a_run(self):
        self.start(self.flow)
        self.flow.action_run()
        self.run_due()
        tasks = self.tasks_of(self.step)
        self.assertEqual(set(tasks.mapped("state")), {"done"})
        return tasks.mail_mail_id.mail_message_id

    def test_emails_are_authored_by_the_flow_responsible(self):
        """Without an author of its own, the email a flow posts on the
        record's chatter is its responsible's, not OdooBot's (the scheduler
        runs as OdooBot); the template's sender is kept."""
        self.flow.user_id = self.salesperson
        messages = self.emails_of_a_run()
        self.assertEqual(len(messages), 6)
        self.assertEqual(messages.author_id, self.salesperson.partner_id)
        self.assertEqual(set(messages.mapped("email_from")), {"shop@example.com"})
        self.assertEqual(set(messages.mapped("model")), {"res.partner"})

    def test_emails_are_authored_by_the_step_author(self):
        self.flow.user_id = self.salesperson
        self.step.mail_author_id = self.env.company.partner_id
        messages = self.emails_of_a_run()
        self.assertEqual(messages.author_id, self.env.company.partner_id)
