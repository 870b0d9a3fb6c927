# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import AUTOMATION_MANAGER, HOUR, NOW, AutomationFlowCase, new_flow_user

DAY = timedelta(days=1)


@tagged("post_install", "-at_install")
class TestApprovalStep(AutomationFlowCase):
    """An invoice-like approval on contacts, climbing from reception to
    production (the contact's salesperson), management (a group) and
    accounting, through the paths approvers use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receptionist = new_flow_user(cls.env, "flow_reception", group=None)
        cls.director = new_flow_user(cls.env, "flow_director", group=None)
        cls.cfo = new_flow_user(cls.env, "flow_cfo", group=None)
        cls.supervisor = new_flow_user(cls.env, "flow_supervisor", group=None)
        cls.management = cls.env["res.groups"].create(
            {
                "name": "Flow management",
                "users": [(6, 0, (cls.director | cls.cfo).ids)],
            }
        )
        cls.contact = cls.partners[0]
        cls.flow = cls.create_flow(domain=repr([("id", "=", cls.contact.id)]))
        cls.reception = cls.add_step(
            cls.flow,
            "approval",
            name="Reception",
            approval_user_id=cls.receptionist.id,
        )
        cls.reception_rejected = cls.add_step(
            cls.flow,
            parent=cls.reception,
            trigger="approval_rejected",
            name="Back to the supplier",
        )
        cls.production = cls.add_step(
            cls.flow,
            "approval",
            parent=cls.reception,
            trigger="approval_approved",
            name="Production",
            approval_user_type="field",
            approval_user_field_id=cls.env.ref("base.field_res_partner__user_id").id,
            approval_user_id=cls.supervisor.id,
        )
        cls.production_rejected = cls.add_step(
            cls.flow,
            parent=cls.production,
            trigger="approval_rejected",
            name="Production refused",
        )
        cls.escalation = cls.add_step(
            cls.flow,
            "approval",
            parent=cls.production,
            trigger="approval_not_decided",
            delay=2,
            delay_unit="days",
            name="Production's supervisor",
            approval_user_id=cls.supervisor.id,
        )
        cls.management_step = cls.add_step(
            cls.flow,
            "approval",
            parent=cls.production,
            trigger="approval_approved",
            name="Management",
            approval_user_type="group",
            approval_group_id=cls.management.id,
            approval_policy="all",
        )
        cls.accounting = cls.add_step(
            cls.flow,
            parent=cls.management_step,
            trigger="approval_approved",
            name="Accounting",
        )
        cls.start(cls.flow)

    def run_at(self, when):
        with self.at(when):
            self.run_due()

    def enroll_and_ask_reception(self):
        with self.at(NOW):
            self.flow._enroll()
        self.run_at(NOW)
        return self.approvals_of(self.reception)

    def approve_reception(self):
        request = self.enroll_and_ask_reception()
        with self.at(NOW + HOUR):
            self.decide_in_odoo(request, self.receptionist, "approved", "Received")
        self.run_at(NOW + HOUR)
        return self.approvals_of(self.production)

    def test_request_reaches_the_approver(self):
        """One row, one activity of the type Approval linking to the
        decision, and one email with the signed links, per approver."""
        request = self.enroll_and_ask_reception()
        self.assertEqual(request.user_id, self.receptionist)
        self.assertEqual(request.state, "pending")
        self.assertTasks(self.reception, self.contact, "done")
        activity = request.activity_id
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("automation_flow.mail_activity_type_approval"),
        )
        self.assertEqual(
            (activity.res_id, activity.user_id), (self.contact.id, self.receptionist)
        )
        self.assertIn(f"/odoo/automation.flow.approval/{request.id}", activity.note)
        mail = request.mail_id
        self.assertEqual(mail.recipient_ids, self.receptionist.partner_id)
        self.assertIn(request._decision_url("approved"), mail.body_html)
        self.assertIn(request._decision_url("rejected"), mail.body_html)
        self.assertFalse(mail.model, "the links are not posted on the record")

    def test_approve_level_one_reject_at_level_two(self):
        production = self.approve_reception()
        self.assertTasks(self.reception_rejected, self.contact, "cancelled")
        self.assertEqual(
            production.user_id, self.salesperson, "the contact's salesperson"
        )
        with self.at(NOW + 5 * HOUR):
            self.decide_in_odoo(
                production, self.salesperson, "rejected", "Wrong amount"
            )
        self.assertTasks(self.production_rejected, self.contact, "scheduled")
        self.assertTasks(self.escalation, self.contact, "cancelled")
        self.assertTasks(self.management_step, self.contact, "cancelled")
        self.run_at(NOW + 5 * HOUR)
        self.assertTasks(self.production_rejected, self.contact, "done")
        self.assertEqual(self.contact.function, "flow was here")
        self.assertFalse(self.approvals_of(self.management_step))
        # The decision, who and the comment: on the chatter and the journey.
        task = self.tasks_of(self.production)
        self.assertEqual(task.outcome, "rejected")
        self.assertEqual(
            task.error_message, f"Rejected by {self.salesperson.name} (Wrong amount)."
        )
        journey = self.env["automation.flow.enrollment"].get_journeys(
            "res.partner", self.contact.id
        )[0]
        done = {line["step"]: line for line in journey["tasks"]}
        self.assertIn("Wrong amount", done["Production"]["outcome"])
        self.assertIn(
            "approval_rejected", [e["event"] for e in done["Production"]["events"]]
        )
        message = self.contact.message_ids.filtered(
            lambda m: m.author_id == self.salesperson.partner_id
        )
        self.assertIn("rejected the request of the step Production", message.body)
        self.assertIn("Wrong amount", message.body)
        self.assertFalse(production.activity_id, "the decided activity is closed")
        # Statistics of the step: one decision in 4 hours, no approval.
        self.assertEqual(self.production.approval_rejected_count, 1)
        self.assertEqual(self.production.approval_rate, 0.0)
        self.assertAlmostEqual(self.production.approval_decision_hours, 4.0)
        self.assertEqual(self.reception.approval_rate, 100.0)

    def test_escalation_when_not_decided_within_two_days(self):
        production = self.approve_reception()
        self.run_at(NOW + HOUR + 2 * DAY - HOUR)
        self.assertTasks(self.escalation, self.contact, "scheduled")
        self.assertFalse(self.approvals_of(self.escalation))
        self.run_at(NOW + HOUR + 2 * DAY)
        self.assertTasks(self.escalation, self.contact, "done")
        escalated = self.approvals_of(self.escalation)
        self.assertEqual(escalated.user_id, self.supervisor)
        # The first request still counts if its approver decides late.
        self.assertEqual(production.state, "pending")

    def test_all_must_approve_one_rejection_decides(self):
        production = self.approve_reception()
        with self.at(NOW + 2 * HOUR):
            self.decide_in_odoo(production, self.salesperson, "approved")
        self.run_at(NOW + 2 * HOUR)
        management = self.approvals_of(self.management_step)
        self.assertEqual(management.user_id, self.director | self.cfo)
        director = management.filtered(lambda a: a.user_id == self.director)
        cfo = management - director
        self.decide_in_odoo(director, self.director, "approved")
        self.assertTasks(self.accounting, self.contact, "waiting")
        self.assertEqual(cfo.state, "pending", "all must approve")
        self.decide_in_odoo(cfo, self.cfo, "approved", "OK for me")
        self.assertTasks(self.accounting, self.contact, "scheduled")
        self.assertEqual(
            self.tasks_of(self.management_step).error_message,
            f"Approved by {self.director.name}; {self.cfo.name} (OK for me).",
        )

    def test_all_rejected_as_soon_as_one_rejects(self):
        production = self.approve_reception()
        with self.at(NOW + 2 * HOUR):
            self.decide_in_odoo(production, self.salesperson, "approved")
        self.run_at(NOW + 2 * HOUR)
        management = self.approvals_of(self.management_step)
        director = management.filtered(lambda a: a.user_id == self.director)
        self.decide_in_odoo(director, self.director, "rejected", "Too expensive")
        cfo = management - director
        self.assertEqual(cfo.state, "closed")
        self.assertFalse(
            management.activity_id, "the other approver's activity is closed"
        )
        self.assertTasks(self.accounting, self.contact, "cancelled")
        with self.assertRaises(UserError):
            self.decide_in_odoo(cfo, self.cfo, "approved")

    def test_any_one_decides(self):
        self.management_step.approval_policy = "any"
        production = self.approve_reception()
        with self.at(NOW + 2 * HOUR):
            self.decide_in_odoo(production, self.salesperson, "approved")
        self.run_at(NOW + 2 * HOUR)
        management = self.approvals_of(self.management_step)
        cfo = management.filtered(lambda a: a.user_id == self.cfo)
        self.decide_in_odoo(cfo, self.cfo, "approved")
        self.assertEqual((management - cfo).state, "closed")
        self.assertFalse(management.activity_id)
        self.assertTasks(self.accounting, self.contact, "scheduled")

    def test_decide_from_the_activity(self):
        """The approver follows the link of the activity's note to the
        decision form; marking the activity done is refused."""
        self.enroll_and_ask_reception()
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.contact.id),
                ("user_id", "=", self.receptionist.id),
            ]
        )
        with self.assertRaisesRegex(UserError, "Approve or Reject"):
            activity.with_user(self.receptionist).action_done()
        approval_id = int(
            re.search(r"/odoo/automation\.flow\.approval/(\d+)", activity.note).group(1)
        )
        approval = self.env["automation.flow.approval"].with_user(self.receptionist)
        approval = approval.browse(approval_id)
        self.assertTrue(approval.can_decide)
        self.decide_in_odoo(approval, self.receptionist, "approved", "Stamped")
        self.assertEqual(approval.state, "approved")
        self.assertEqual(approval.comment, "Stamped")
        self.assertFalse(activity.exists())
        self.assertTasks(self.production, self.contact, "scheduled")

    def test_others_cannot_decide(self):
        request = self.enroll_and_ask_reception()
        automation_user = new_flow_user(self.env, "flow_automation_user")
        self.assertFalse(request.with_user(automation_user).can_decide)
        with self.assertRaisesRegex(AccessError, "Only .* may approve or reject"):
            self.decide_in_odoo(request, automation_user, "approved")
        # Nor through the dialog opened with another's approval.
        wizard = (
            self.env["automation.flow.approval.decide"]
            .with_user(automation_user)
            .create({"approval_id": request.id, "decision": "approved"})
        )
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        # Who may not read the contact does not even see the request.
        portal = new_test_user(
            self.env, login="flow_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            request.with_user(portal).read(["state"])
        self.assertEqual(request.state, "pending")
        self.assertTasks(self.production, self.contact, "waiting")

    def test_step_with_only_required_values(self):
        manager = new_flow_user(
            self.env, "flow_approval_manager", group=AUTOMATION_MANAGER
        )
        flow = self.create_flow(
            name="Minimal", domain=repr([("id", "=", self.contact.id)])
        )
        flow = flow.with_user(manager)
        flow.user_id = manager
        step = (
            self.env["automation.flow.step"]
            .with_user(manager)
            .create({"name": "Approve", "flow_id": flow.id, "step_type": "approval"})
        )
        self.assertEqual(
            (step.approval_user_type, step.approval_user_id, step.approval_policy),
            ("fixed", manager, "any"),
        )
        self.start(flow.sudo())
        flow.sudo()._enroll()
        self.run_due()
        approval = self.approvals_of(step)
        self.assertEqual(approval.user_id, manager)
        self.decide_in_odoo(approval, manager, "approved")
        self.assertEqual(
            self.tasks_of(step).approval_approved_at.date(), approval.decided_at.date()
        )
