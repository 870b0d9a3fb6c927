# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import AUTOMATION_MANAGER, AutomationFlowCase, new_flow_user
from .smtp import SmtpSink, allow_real_smtp, free_port, sink_server, start_sink


def open_dialog(env, action):
    """The record a button's dialog action shows, as the web client opens it."""
    return env[action["res_model"]].browse(action["res_id"])


@tagged("post_install", "-at_install")
class TestLaunchConfirmation(AutomationFlowCase):
    """Start and Run now ask first, with the number of records they enroll
    and what the first steps do; above a threshold, a second screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "launch_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "launch_user")
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(cls.flow, "email", name="Welcome")
        cls.add_step(cls.flow, "action", parent=cls.email)

    def enrolled(self):
        return self.flow.enrollment_ids.filtered(lambda e: not e.is_test)

    def test_manager_without_settings_runs_after_reading_the_count(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        flow = self.flow.with_user(self.manager)
        start = open_dialog(flow.env, flow.action_confirm_start_on_demand())
        self.assertEqual(start.record_count, 6)
        self.assertIn("6 records (Contact) match it now", start.summary)
        self.assertEqual(self.flow.state, "draft", "nothing before confirming")
        start.action_confirm()
        self.assertEqual(self.flow.state, "on_demand")
        self.assertFalse(self.enrolled(), "starting on demand enrolls nothing")
        run = open_dialog(flow.env, flow.action_confirm_run())
        self.assertIn("This will enroll 6 records (Contact) now.", run.summary)
        # What the first steps do, in the catalogue's words; not the child.
        self.assertIn("“Welcome”: Send Flow test email — At enrollment", run.summary)
        self.assertNotIn("action step", run.summary)
        self.assertFalse(self.enrolled())
        self.assertFalse(run.needs_typing)
        self.assertEqual(run.action_confirm()["type"], "ir.actions.act_window_close")
        self.assertEqual(len(self.enrolled()), 6)
        again = open_dialog(flow.env, flow.action_confirm_run())
        self.assertEqual(again.record_count, 0)
        self.assertIn("No record enters the flow now", again.summary)

    def test_automation_user_runs_but_does_not_start(self):
        flow = self.flow.with_user(self.user)
        with self.assertRaises(AccessError):
            open_dialog(flow.env, flow.action_confirm_start_periodic()).action_confirm()
        self.start(self.flow)
        run = open_dialog(flow.env, flow.action_confirm_run())
        run.action_confirm()
        self.assertEqual(len(self.enrolled()), 6)

    def test_count_follows_enrollments_uniqueness_and_reenrollment(self):
        self.start(self.flow)
        self.flow._enroll(self.partners[:2].ids)
        self.assertEqual(self.flow._count_candidates(), 4, "enrolled ones left out")
        # One person on two contacts: the uniqueness key lets one in.
        self.partners[5].email = self.partners[4].email.upper()
        self.flow.unique_field_id = self.env["ir.model.fields"]._get(
            "res.partner", "email"
        )
        self.assertEqual(self.flow._count_candidates(), 3)
        self.flow._enroll()
        self.assertEqual(self.flow._count_candidates(), 0)
        # Ended journeys may start again under "after the journey ended".
        self.flow.reenroll_policy = "after_end"
        self.enrolled()[:2]._set_state("done")
        self.assertEqual(self.flow._count_candidates(), 2)

    def test_count_is_one_query(self):
        self.start(self.flow)
        self.flow._count_candidates()
        self.env.flush_all()
        with self.assertQueryCount(1):
            self.assertEqual(self.flow._count_candidates(), 6)

    def test_second_screen_above_the_threshold(self):
        self.env["ir.config_parameter"].set_param(
            "automation_flow.confirm_threshold", 5
        )
        self.start(self.flow)
        flow = self.flow.with_user(self.manager)
        run = open_dialog(flow.env, flow.action_confirm_run())
        self.assertTrue(run.needs_typing)
        action = run.action_confirm()
        self.assertEqual((action["res_model"], action["res_id"]), (run._name, run.id))
        self.assertEqual(run.stage, "type_count")
        self.assertFalse(self.enrolled(), "the first confirmation is not enough")
        run.typed_count = "5"
        with self.assertRaisesRegex(UserError, "Type 6"):
            run.action_confirm()
        self.assertFalse(self.enrolled())
        run.typed_count = "6"
        run.action_confirm()
        self.assertEqual(len(self.enrolled()), 6)

    def test_start_periodic_asks_above_the_threshold_and_on_demand_does_not(self):
        self.env["ir.config_parameter"].set_param(
            "automation_flow.confirm_threshold", 5
        )
        flow = self.flow.with_user(self.manager)
        periodic = open_dialog(flow.env, flow.action_confirm_start_periodic())
        self.assertTrue(periodic.needs_typing)
        self.assertIn("then the new matching records", periodic.summary)
        on_demand = open_dialog(flow.env, flow.action_confirm_start_on_demand())
        self.assertFalse(on_demand.needs_typing, "starting on demand enrolls nothing")

    def test_one_record_reads_in_the_singular(self):
        self.start(self.flow)
        self.flow._enroll(self.partners[1:].ids)
        flow = self.flow.with_user(self.manager)
        run = open_dialog(flow.env, flow.action_confirm_run())
        self.assertIn("This will enroll 1 record (Contact) now.", run.summary)
        self.env["ir.config_parameter"].set_param(
            "automation_flow.confirm_threshold", 0
        )
        run = open_dialog(flow.env, flow.action_confirm_run())
        run.action_confirm()
        run.typed_count = " 1 "
        run.action_confirm()
        self.assertEqual(len(self.enrolled()), 6)

    def test_rpc_keeps_the_direct_path(self):
        flow = self.flow.with_user(self.manager)
        self.assertTrue(flow.action_start_on_demand())
        self.assertTrue(flow.action_run())
        self.assertEqual(len(self.enrolled()), 6)


@tagged("post_install", "-at_install")
class TestEmailPreview(AutomationFlowCase):
    """The email step's preview renders the email for a record of the flow;
    Send to me sends it to the user through a real SMTP server on 127.0.0.1,
    with nothing of the flow moving."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        allow_real_smtp(cls)
        cls.sink = SmtpSink()
        cls.smtpd = start_sink(cls.addClassCleanup, cls.sink)
        mail_server = sink_server(cls.env, cls.smtpd.port)
        cls.manager = new_flow_user(cls.env, "preview_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "preview_user")
        (cls.manager | cls.user).email = "me@example.com"
        cls.report = cls.env["ir.attachment"].create(
            {"name": "terms.pdf", "datas": "JVBERi0=", "res_model": "mail.template"}
        )
        cls.template.attachment_ids = cls.report
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(
            cls.flow, "email", name="Welcome", mail_server_id=mail_server.id
        )
        cls.outsider = cls.env["res.partner"].create(
            {"name": "Not in the flow", "email": "out@example.com"}
        )

    def setUp(self):
        super().setUp()
        self.sink.messages.clear()

    def preview(self, user, record):
        step = self.email.with_user(user)
        preview = open_dialog(step.env, step.action_preview_email())
        preview.res_id = record.id
        return preview

    def test_manager_previews_and_sends_to_self(self):
        partner = self.partners[0]
        messages = partner.message_ids
        preview = self.preview(self.manager, partner)
        self.assertFalse(preview.preview_error)
        self.assertEqual(preview.subject, "Hello Flow contact 0")
        self.assertEqual(preview.recipients, "contact0@example.com")
        self.assertEqual(preview.email_from, "shop@example.com")
        self.assertEqual(preview.attachments, "terms.pdf")
        self.assertIn("Hello Flow contact 0", preview.body_html)
        preview.action_send_to_me()
        self.assertEqual(preview.sent_to, self.manager.email_formatted)
        [message] = self.sink.messages
        self.assertEqual(message["Subject"], "[Test] Hello Flow contact 0")
        self.assertIn("me@example.com", message["To"])
        self.assertNotIn("contact0", message["To"])
        self.assertEqual(message["X-Automation-Flow-Test"], "1")
        # Nothing of the flow moved and the record's chatter is untouched.
        self.assertFalse(self.flow.enrollment_ids)
        self.assertFalse(
            self.env["automation.flow.task"]
            .search([])
            .filtered(lambda task: task.flow_id == self.flow)
        )
        self.assertEqual(partner.message_ids, messages)

    def test_automation_user_previews(self):
        preview = self.preview(self.user, self.partners[1])
        self.assertEqual(preview.subject, "Hello Flow contact 1")
        preview.action_send_to_me()
        self.assertEqual(len(self.sink.messages), 1)

    def test_only_records_of_the_flow(self):
        preview = self.preview(self.manager, self.outsider)
        self.assertRegex(preview.preview_error, "does not match the flow")
        self.assertFalse(preview.subject)
        with self.assertRaisesRegex(UserError, "does not match the flow"):
            preview.action_send_to_me()
        self.assertFalse(self.sink.messages)
        # The picker offers the records of the flow only.
        domain = ast.literal_eval(preview.record_domain)
        self.assertEqual(
            self.env["res.partner"].search(domain), self.partners, "flow's records"
        )

    def test_user_without_email_is_told(self):
        self.manager.email = False
        preview = self.preview(self.manager, self.partners[0])
        with self.assertRaisesRegex(UserError, "Set your email"):
            preview.action_send_to_me()

    def test_unreachable_server_is_told(self):
        self.email.mail_server_id.smtp_port = free_port()
        preview = self.preview(self.manager, self.partners[0])
        with self.assertRaisesRegex(UserError, "could not be sent"):
            preview.action_send_to_me()


@tagged("post_install", "-at_install")
class TestLaunchRpc(AutomationFlowCase, HttpCase):
    """The buttons over JSON-RPC, as the web client calls them: a manager
    without Settings confirms through the dialog; an Automation User cannot
    start; the direct methods stay callable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "launch_rpc_manager", AUTOMATION_MANAGER)
        cls.user = new_flow_user(cls.env, "launch_rpc_user")
        cls.flow = cls.create_flow()
        cls.email = cls.add_step(cls.flow, "email", name="Welcome")

    def call_button(self, model, method, ids):
        return self.make_jsonrpc_request(
            "/web/dataset/call_button",
            {"model": model, "method": method, "args": [ids], "kwargs": {}},
        )

    def test_confirm_over_rpc(self):
        self.authenticate(self.user.login, self.user.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self.call_button("automation.flow", "action_start_on_demand", self.flow.ids)
        self.authenticate(self.manager.login, self.manager.login)
        action = self.call_button(
            "automation.flow", "action_confirm_start_on_demand", self.flow.ids
        )
        self.assertEqual(action["res_model"], "automation.flow.launch")
        self.call_button(action["res_model"], "action_confirm", [action["res_id"]])
        self.authenticate(self.user.login, self.user.login)
        action = self.call_button(
            "automation.flow", "action_confirm_run", self.flow.ids
        )
        self.call_button(action["res_model"], "action_confirm", [action["res_id"]])
        self.env.invalidate_all()
        self.assertEqual(self.flow.state, "on_demand")
        self.assertEqual(len(self.flow.enrollment_ids), 6)
