# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from datetime import timedelta
from urllib.parse import urlsplit

from odoo.tests import HttpCase, tagged

from .common import HOUR, NOW, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestApprovalLinks(AutomationFlowCase, HttpCase):
    """The Approve / Reject links of the approval email, over real HTTP,
    without logging in: valid, tampered, expired, reused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = new_flow_user(cls.env, "flow_link_approver", group=None)
        cls.contact = cls.partners[0]
        cls.flow = cls.create_flow(domain=repr([("id", "=", cls.contact.id)]))
        cls.step = cls.add_step(
            cls.flow,
            "approval",
            name="Approve the invoice",
            approval_user_id=cls.approver.id,
            approval_link_days=3,
        )
        cls.approved = cls.add_step(
            cls.flow, parent=cls.step, trigger="approval_approved", name="Pay"
        )
        cls.start(cls.flow)

    def setUp(self):
        super().setUp()
        with self.at(NOW):
            self.flow._enroll()
            self.run_due()
        self.approval = self.approvals_of(self.step)

    def link(self, decision):
        """The path of the email's link for ``decision``."""
        body = self.approval.mail_id.body_html
        url = re.search(rf'href="([^"]+\?decision={decision})"', body).group(1)
        parts = urlsplit(url.replace("&amp;", "&"))
        return f"{parts.path}?{parts.query}"

    def open(self, path, data=None, at=NOW + HOUR):
        with self.at(at):
            response = self.url_open(path, data=data, allow_redirects=False)
        self.env.invalidate_all()
        return response

    def test_valid_link_decides_once(self):
        path = self.link("approved")
        page = self.open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Approve", page.text)
        self.assertEqual(self.approval.state, "pending", "a GET decides nothing")
        done = self.open(path, data={"decision": "approved", "comment": "Paid by card"})
        self.assertEqual(done.status_code, 200)
        self.assertIn("You approved", done.text)
        self.assertEqual(self.approval.state, "approved")
        self.assertEqual(self.approval.comment, "Paid by card")
        self.assertTasks(self.approved, self.contact, "scheduled")
        message = self.contact.message_ids.filtered(
            lambda m: m.author_id == self.approver.partner_id
        )
        self.assertIn("Paid by card", message.body)
        # Used: neither link decides again.
        again = self.open(
            self.link("rejected"), data={"decision": "rejected", "comment": "No"}
        )
        self.assertIn("already decided", again.text)
        self.assertEqual(self.approval.state, "approved")

    def test_reject_link(self):
        self.open(self.link("rejected"), data={"decision": "rejected"})
        self.assertEqual(self.approval.state, "rejected")
        self.assertTasks(self.approved, self.contact, "cancelled")

    def test_tampered_link(self):
        path = self.link("approved")
        token = path.split("/")[4].split("?")[0]
        forged = path.replace(token, token[:-1] + ("0" if token[-1] != "0" else "1"))
        response = self.open(forged, data={"decision": "approved"})
        self.assertIn("not valid", response.text)
        # Another row's id with this row's token is refused too.
        other = path.replace(f"/{self.approval.id}/", f"/{self.approval.id + 1}/")
        self.assertIn("not valid", self.open(other, data={"decision": "approved"}).text)
        self.assertEqual(self.approval.state, "pending")

    def test_expired_link(self):
        late = NOW + timedelta(days=3, seconds=1)
        response = self.open(
            self.link("approved"), data={"decision": "approved"}, at=late
        )
        self.assertIn("expired", response.text)
        self.assertIn(
            f"/odoo/automation.flow.approval/{self.approval.id}", response.text
        )
        self.assertEqual(self.approval.state, "pending")


@tagged("post_install", "-at_install")
class TestApprovalBanner(AutomationFlowCase, HttpCase):
    """The approver decides in the web client, from the banner above the
    record's chatter."""

    def test_approve_from_the_banner(self):
        approver = new_flow_user(self.env, "flow_banner_approver", group=None)
        contact = self.partners[0]
        flow = self.create_flow(domain=repr([("id", "=", contact.id)]))
        step = self.add_step(
            flow, "approval", name="Reception", approval_user_id=approver.id
        )
        approved = self.add_step(
            flow, parent=step, trigger="approval_approved", name="File it"
        )
        self.start(flow)
        flow._enroll()
        self.run_due()
        approval = self.approvals_of(step)
        self.start_tour(
            f"/odoo/res.partner/{contact.id}",
            "automation_flow_approval_tour",
            login=approver.login,
        )
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.comment, "Stamped and filed")
        self.assertTasks(approved, contact, "scheduled")
