# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Consent: marketing flows skip the blacklisted and opted-out addresses
(with the reason), carry an unsubscribe link and the List-Unsubscribe
headers; transactional flows carry none of it. The unsubscribe link over real
HTTP: valid, tampered, per flow or global, one-click POST."""

import ast
import re
from urllib.parse import urlsplit

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, freeze_time, tagged

from .common import (
    AUTOMATION_MANAGER,
    HOUR,
    NOW,
    AutomationFlowEventCase,
    new_flow_user,
)


class ConsentCase(AutomationFlowEventCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ann, cls.bob = cls.partners
        # A step that follows the unsubscribe of the email.
        cls.unsubscribed_step = cls.env["automation.flow.step"].create(
            {
                "name": "Say goodbye",
                "flow_id": cls.flow.id,
                "parent_id": cls.email_step.id,
                "step_type": "action",
                "server_action_id": cls.action.id,
                "trigger": "email_unsubscribed",
                "expiry": 30,
                "expiry_unit": "days",
            }
        )

    def unsubscribe_path(self, task):
        """The path of the unsubscribe link of ``task``'s queued email."""
        body = task.mail_mail_id.body_html
        url = re.search(r'href="([^"]+/automation_flow/unsubscribe/[^"]+)"', body)
        return urlsplit(url.group(1)).path


@tagged("post_install", "-at_install")
class TestConsent(ConsentCase, TransactionCase):
    def test_blacklisted_and_opted_out_addresses_are_skipped(self):
        self.env["mail.blacklist"]._add("ANN@example.com")
        self.env["automation.flow.optout"].create(
            {"email": "Bob <bob@example.com>", "flow_id": self.flow.id}
        )
        ann, bob = self.queue_emails()
        self.assertEqual((ann.state, bob.state), ("skipped", "skipped"))
        self.assertFalse(ann.mail_mail_id | bob.mail_mail_id, "nothing was queued")
        self.assertEqual(ann.error_message, "Skipped: the address is blacklisted.")
        self.assertEqual(
            bob.error_message, "Skipped: the address opted out of this flow."
        )
        self.assertFalse(ann.child_ids | bob.child_ids, "nothing follows a skip")
        self.assertEqual(self.email_step.consent_skipped_count, 2)
        card = next(
            card
            for card in self.flow.get_step_tree()["steps"]
            if card["id"] == self.email_step.id
        )
        self.assertIn(
            ("consent_skipped", 2),
            [(event["event"], event["count"]) for event in card["events"]],
        )
        report = self.env["automation.flow.task.report"].search(
            [("step_id", "=", self.email_step.id)]
        )
        self.assertEqual(sum(report.mapped("consent_skipped_count")), 2)

    def test_the_opt_out_of_another_flow_does_not_count(self):
        other = self.flow.copy({"name": "Other flow"})
        self.env["automation.flow.optout"].create(
            {"email": "bob@example.com", "flow_id": other.id}
        )
        ann, bob = self.queue_emails()
        self.assertEqual((ann.state, bob.state), ("done", "done"))

    def test_marketing_email_carries_link_and_headers(self):
        ann, _bob = self.queue_emails()
        mail = ann.mail_mail_id
        self.assertEqual(ann.recipient_email, "ann@example.com")
        token = self.env["automation.flow.task"]._unsubscribe_token(
            ann.id, self.flow.id, "ann@example.com"
        )
        url = f"{ann.get_base_url()}/automation_flow/unsubscribe/{ann.id}/{token}"
        self.assertIn(f'href="{url}"', mail.body_html)
        self.assertEqual(
            ast.literal_eval(mail.headers),
            {
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        self.assertNotIn(
            "/automation_flow/unsubscribe/",
            mail.mail_message_id.body,
            "the chatter's copy has no link a user could click for the contact",
        )

    def test_the_link_speaks_the_language_of_each_email(self):
        """A template written in each contact's language: the link's text in
        each mail is in that language (es.po), not in one for the batch."""
        self.env["res.lang"]._activate_lang("es_ES")
        self.bob.lang = "es_ES"
        self.template.lang = "{{ object.lang }}"
        ann, bob = self.queue_emails()
        self.assertIn(">Unsubscribe</a>", ann.mail_mail_id.body_html)
        self.assertIn(">Darse de baja</a>", bob.mail_mail_id.body_html)

    def test_transactional_flow_bypasses_consent(self):
        self.flow.transactional = True
        self.env["mail.blacklist"]._add("ann@example.com")
        ann, _bob = self.queue_emails()
        self.assertEqual(ann.state, "done")
        self.assertTrue(ann.mail_mail_id)
        self.assertNotIn("/automation_flow/unsubscribe/", ann.mail_mail_id.body_html)
        self.assertFalse(ann.mail_mail_id.headers)
        self.assertFalse(ann.recipient_email, "not counted by the caps")

    def test_test_enrollments_keep_to_consent(self):
        self.env["mail.blacklist"]._add("ann@example.com")
        wizard = self.env["automation.flow.test"].create(
            {"flow_id": self.flow.id, "res_id": self.ann.id}
        )
        wizard.action_enroll()
        wizard.action_run_next()
        task = self.env["automation.flow.task"].search(
            [("step_id", "=", self.email_step.id), ("is_test", "=", True)]
        )
        self.assertEqual(task.state, "skipped")

    def test_who_sets_a_flow_transactional(self):
        """An Automation Manager without Settings rights sets the switch and
        the priority; an Automation User cannot."""
        manager = new_flow_user(self.env, "consent_switch_manager", AUTOMATION_MANAGER)
        user = new_flow_user(self.env, "consent_switch_user")
        self.flow.with_user(manager).write({"transactional": True, "priority": "2"})
        self.assertEqual((self.flow.transactional, self.flow.priority), (True, "2"))
        with self.assertRaises(AccessError):
            self.flow.with_user(user).transactional = False

    def test_opt_out_addresses_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "not an email address"):
            self.env["automation.flow.optout"].create(
                {"email": "nobody", "flow_id": self.flow.id}
            )

    def test_who_manages_opt_outs(self):
        """Automation managers (without Settings) manage the opt-outs of
        their company; users read them; other internal users and other
        companies' managers see none."""
        manager = new_flow_user(self.env, "consent_manager", AUTOMATION_MANAGER)
        user = new_flow_user(self.env, "consent_user")
        internal = new_flow_user(self.env, "consent_internal", group=None)
        Optout = self.env["automation.flow.optout"]
        optout = Optout.with_user(manager).create(
            {"email": "ann@example.com", "flow_id": self.flow.id}
        )
        self.assertEqual(Optout.with_user(user).search([]), optout)
        with self.assertRaises(AccessError):
            optout.with_user(user).unlink()
        with self.assertRaises(AccessError):
            Optout.with_user(internal).search([])
        other_company = self.env["res.company"].create({"name": "Consent B"})
        manager_b = new_flow_user(
            self.env, "consent_manager_b", AUTOMATION_MANAGER, other_company
        )
        self.assertFalse(Optout.with_user(manager_b).search([]))
        with self.assertRaises(AccessError):
            optout.with_user(manager_b).email  # noqa: B018


@tagged("post_install", "-at_install")
class TestUnsubscribeLink(ConsentCase, HttpCase):
    """The link over real HTTP, as the recipient (no session) opens it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.bob.lang = "es_ES"

    def setUp(self):
        super().setUp()
        self.ann_task, self.bob_task = self.queue_emails()
        self.paths = {
            task: self.unsubscribe_path(task) for task in (self.ann_task, self.bob_task)
        }
        self.headers = ast.literal_eval(self.ann_task.mail_mail_id.headers)
        # Sent (and deleted, as auto-deleted mails are): the link is in the
        # person's mailbox only.
        self.send_emails(self.ann_task | self.bob_task)
        self.assertFalse(self.ann_task.mail_mail_id)

    def open(self, path, data=None, **kwargs):
        with freeze_time(NOW + HOUR):
            response = self.url_open(path, data=data, allow_redirects=False, **kwargs)
        self.env.invalidate_all()
        return response

    def optouts(self):
        return self.env["automation.flow.optout"].search([]).mapped("email")

    def test_a_get_shows_the_choice_and_changes_nothing(self):
        page = self.open(self.paths[self.ann_task])
        self.assertEqual(page.status_code, 200)
        self.assertIn("ann@example.com", page.text)
        self.assertIn('value="flow"', page.text)
        self.assertIn('value="all"', page.text)
        self.assertIn("Offer follow-up", page.text)
        self.assertFalse(self.optouts())
        self.assertFalse(self.ann_task.unsubscribed_at)

    def test_the_page_speaks_the_recipients_language(self):
        # The page's own words in Spanish, as the integrator's es.po gives.
        self.env.ref("automation_flow.unsubscribe_page").update_field_translations(
            "arch_db", {"es_ES": {"All our mailings": "Todos nuestros envíos"}}
        )
        self.assertIn(
            "Todos nuestros envíos", self.open(self.paths[self.bob_task]).text
        )
        self.assertIn("All our mailings", self.open(self.paths[self.ann_task]).text)

    def test_unsubscribe_from_the_flow_only(self):
        done = self.open(self.paths[self.ann_task], data={"choice": "flow"})
        self.assertEqual(done.status_code, 200)
        self.assertIn("will no longer receive the emails of", done.text)
        self.assertEqual(self.optouts(), ["ann@example.com"])
        self.assertFalse(self.env["mail.blacklist"].search([]))
        # The event: stamped, the step that follows it woken.
        self.assertEqual(self.ann_task.unsubscribed_at, NOW + HOUR)
        self.assertEqual(
            self.child(self.ann_task, "email_unsubscribed").state, "scheduled"
        )
        self.assertEqual(self.email_step.email_unsubscribed_count, 1)
        # Again: nothing more.
        self.open(self.paths[self.ann_task], data={"choice": "flow"})
        self.assertEqual(self.optouts(), ["ann@example.com"])

    def test_unsubscribe_from_all_mailings(self):
        done = self.open(self.paths[self.ann_task], data={"choice": "all"})
        self.assertIn("will no longer receive our mailings", done.text)
        self.assertEqual(
            self.env["mail.blacklist"].search([]).mapped("email"), ["ann@example.com"]
        )
        self.assertTrue(self.ann.is_blacklisted)
        self.assertFalse(self.optouts())

    def test_one_click_post_unsubscribes_from_the_flow(self):
        """RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click to
        the URL of the header, without a session nor a CSRF token."""
        path = urlsplit(self.headers["List-Unsubscribe"].strip("<>")).path
        response = self.open(path, data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.optouts(), ["ann@example.com"])

    def test_a_tampered_link_unsubscribes_no_one(self):
        path = self.paths[self.ann_task]
        token = path.rsplit("/", 1)[1]
        forged = path[: -len(token)] + token[:-1] + ("0" if token[-1] != "0" else "1")
        for forged_path in (
            forged,
            # Bob's task with Ann's signature: it binds the task's address.
            path.replace(f"/{self.ann_task.id}/", f"/{self.bob_task.id}/"),
            "/automation_flow/unsubscribe/999999999/abc",
        ):
            for data in (None, {"choice": "all"}):
                response = self.open(forged_path, data=data)
                self.assertEqual(response.status_code, 403)
                self.assertIn("This unsubscribe link is not valid", response.text)
                self.assertNotIn("Traceback", response.text)
        self.assertFalse(self.optouts())
        self.assertFalse(self.env["mail.blacklist"].search([]))

    def test_a_portal_user_uses_the_link_as_anyone(self):
        """Logged in as a portal user, the link works as it does without a
        session; the portal user reads no opt-out through the ORM."""
        portal = new_flow_user(self.env, "consent_portal", group="base.group_portal")
        self.authenticate("consent_portal", "consent_portal")
        done = self.open(self.paths[self.ann_task], data={"choice": "flow"})
        self.assertEqual(done.status_code, 200)
        self.assertEqual(self.optouts(), ["ann@example.com"])
        with self.assertRaises(AccessError):
            self.env["automation.flow.optout"].with_user(portal).search([])

    def test_a_link_of_an_email_of_another_flow_binds_that_flow(self):
        """Moving the task to another flow (as a forger cannot) breaks the
        signature: the token binds the flow."""
        other = self.flow.copy({"name": "Other flow"})
        path = self.paths[self.ann_task]
        self.env.cr.execute(
            "UPDATE automation_flow_task SET flow_id = %s WHERE id = %s",
            (other.id, self.ann_task.id),
        )
        response = self.open(path, data={"choice": "flow"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.optouts())

    def test_the_next_email_of_the_flow_is_skipped(self):
        self.open(self.paths[self.ann_task], data={"choice": "flow"})
        second = self.env["automation.flow.step"].create(
            {
                "name": "Second offer",
                "flow_id": self.flow.id,
                "parent_id": self.email_step.id,
                "step_type": "email",
                "trigger": "after_step",
                "mail_template_id": self.template.id,
            }
        )
        self.env["automation.flow.task"]._insert(
            self.flow,
            {
                "enrollment_id": [self.ann_task.enrollment_id.id],
                "step_id": [second.id],
                "parent_id": [self.ann_task.id],
                "res_id": [self.ann.id],
                "state": ["scheduled"],
                "scheduled_at": [NOW + HOUR],
                "expires_at": [None],
                "is_test": [False],
            },
        )
        self.run_scheduler(NOW + 2 * HOUR)
        task = self.tasks_of(second)
        self.assertEqual(task.state, "skipped")
        self.assertEqual(
            task.error_message, "Skipped: the address opted out of this flow."
        )

    def tasks_of(self, step):
        return self.env["automation.flow.task"].search([("step_id", "=", step.id)])
