# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


from odoo.tests import HttpCase, tagged

from .smtp import SmtpSink, allow_real_smtp, sink_server, start_sink

# What the dry run must leave as it found it.
COUNTED = (
    "automation.flow.enrollment",
    "automation.flow.task",
    "mail.mail",
    "mail.activity",
    "link.tracker",
)


@tagged("post_install", "-at_install")
class TestUiLaunch(HttpCase):
    """In Chromium: Start and Run now ask first; the email step's preview and
    Send to me, to a real SMTP server on 127.0.0.1; the test dialog's dry
    run and both branches of an opened / not-opened pair by simulation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        allow_real_smtp(cls)
        cls.sink = SmtpSink()
        cls.smtpd = start_sink(cls.addClassCleanup, cls.sink)
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.email = "admin@tour.automation.example.com"
        Partner = cls.env["res.partner"]
        cls.partners = Partner.create(
            [
                {"name": "Tour Ann", "email": "ann@tour.automation.example.com"},
                {"name": "Tour Bob", "email": "bob@tour.automation.example.com"},
            ]
        )
        Partner.create({"name": "Tour Outsider", "email": "out@example.com"})
        partner_model = cls.env.ref("base.model_res_partner")
        template = cls.env["mail.template"].create(
            {
                "name": "Tour welcome",
                "model_id": partner_model.id,
                "subject": "Welcome {{ object.name }}",
                "email_to": "{{ object.email }}",
                "email_from": "shop@example.com",
                "body_html": "<p>Dear <t t-out='object.name'/></p>",
                "attachment_ids": [(0, 0, {"name": "terms.pdf", "datas": "JVBERi0="})],
            }
        )
        sink = sink_server(cls.env, cls.smtpd.port)
        cls.flow = cls.env["automation.flow"].create(
            {
                "name": "Launch tour",
                "model_id": partner_model.id,
                "domain": repr([("id", "in", cls.partners.ids)]),
            }
        )
        Step = cls.env["automation.flow.step"]
        cls.email = Step.create(
            {
                "name": "Welcome",
                "flow_id": cls.flow.id,
                "step_type": "email",
                "mail_template_id": template.id,
                "mail_server_id": sink.id,
            }
        )
        cls.call = Step.create(
            {
                "name": "Call",
                "flow_id": cls.flow.id,
                "parent_id": cls.email.id,
                "step_type": "activity",
                "trigger": "email_opened",
                "activity_type_id": cls.env.ref("mail.mail_activity_data_call").id,
                "activity_user_id": cls.admin.id,
            }
        )
        cls.reminder = Step.create(
            {
                "name": "Reminder",
                "flow_id": cls.flow.id,
                "parent_id": cls.email.id,
                "step_type": "action",
                "trigger": "email_not_opened",
                "delay": 2,
                "delay_unit": "days",
                "server_action_id": cls.env["ir.actions.server"]
                .create(
                    {
                        "name": "Tour reminder",
                        "model_id": partner_model.id,
                        "state": "code",
                        "code": "records.write({'function': 'reminded'})",
                    }
                )
                .id,
            }
        )

    def setUp(self):
        super().setUp()
        self.sink.messages.clear()

    def flow_url(self):
        return f"/odoo/action-automation_flow.action_automation_flow/{self.flow.id}"

    def test_start_and_run_ask_first(self):
        self.env["ir.config_parameter"].set_param(
            "automation_flow.confirm_threshold", 1
        )
        self.start_tour(self.flow_url(), "automation_flow_launch_tour", login="admin")
        self.assertEqual(self.flow.state, "on_demand")
        self.assertEqual(
            sorted(self.flow.enrollment_ids.mapped("res_id")), sorted(self.partners.ids)
        )

    def test_preview_and_send_to_me(self):
        self.start_tour(
            f"/odoo/action-automation_flow.action_automation_flow_step/{self.email.id}",
            "automation_flow_preview_tour",
            login="admin",
        )
        [message] = self.sink.messages
        self.assertEqual(message["Subject"], "[Test] Welcome Tour Ann")
        self.assertIn("admin@tour.automation.example.com", message["To"])
        self.assertFalse(self.flow.enrollment_ids, "nothing of the flow moved")

    def test_dry_run_then_both_branches_by_simulation(self):
        self.env.flush_all()
        before = {model: self.env[model].sudo().search_count([]) for model in COUNTED}
        # The dry run is the tour's first act; the counts after it are read
        # by the tour's end minus what the real test then made.
        self.start_tour(self.flow_url(), "automation_flow_test_tour", login="admin")
        ann = self.partners[0]
        tests = self.flow.enrollment_ids
        self.assertEqual(len(tests), 2)
        self.assertTrue(all(tests.mapped("is_test")))
        opened, not_opened = tests.sorted("id")
        state = {
            (task.enrollment_id, task.step_id): task.state for task in tests.task_ids
        }
        self.assertEqual(state[opened, self.call], "scheduled")
        self.assertEqual(state[opened, self.reminder], "cancelled")
        self.assertEqual(state[not_opened, self.reminder], "done")
        self.assertEqual(state[not_opened, self.call], "waiting")
        self.assertEqual(ann.function, "reminded")
        # What the tour made: the two real test enrollments, their tasks, the
        # two emails queued; the dry run added nothing of its own.
        after = {model: self.env[model].sudo().search_count([]) for model in COUNTED}
        self.assertEqual(
            after["automation.flow.enrollment"],
            before["automation.flow.enrollment"] + 2,
        )
        self.assertEqual(
            after["automation.flow.task"],
            before["automation.flow.task"] + len(tests.task_ids),
        )
        self.assertEqual(after["mail.mail"], before["mail.mail"] + 2)
        self.assertEqual(after["mail.activity"], before["mail.activity"])
        self.assertFalse(self.sink.messages, "nothing sent")

    def test_dry_run_alone_leaves_nothing(self):
        """The dry run from the dialog, then the counts: no mail, no write."""
        self.env.flush_all()
        before = {model: self.env[model].sudo().search_count([]) for model in COUNTED}
        write_dates = self.partners.mapped("write_date")
        messages = self.partners.message_ids
        self.start_tour(self.flow_url(), "automation_flow_dry_run_tour", login="admin")
        self.env.invalidate_all()
        after = {model: self.env[model].sudo().search_count([]) for model in COUNTED}
        self.assertEqual(after, before)
        self.assertEqual(self.partners.mapped("write_date"), write_dates)
        self.assertEqual(self.partners.message_ids, messages, "nothing on the chatter")
        self.assertFalse(self.sink.messages)

    def test_remove_a_step_with_history(self):
        self.flow.action_start_on_demand()
        self.flow.action_run()
        self.env["automation.flow.task"]._process_due_tasks()
        email_tasks = self.email.task_ids
        self.start_tour(
            self.flow_url(), "automation_flow_step_removal_tour", login="admin"
        )
        self.assertFalse(self.email.active)
        self.assertEqual(self.email.task_ids, email_tasks, "the history stays")
        self.assertEqual(set(email_tasks.mapped("state")), {"done"})
