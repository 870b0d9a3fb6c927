# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from odoo.tests import TransactionCase, freeze_time, new_test_user

NOW = datetime(2026, 3, 2, 9, 0)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
AUTOMATION_USER = "automation_flow.group_automation_flow_user"
AUTOMATION_MANAGER = "automation_flow.group_automation_flow_manager"


def new_flow_user(env, login, group=AUTOMATION_USER, company=None):
    """An internal user of ``company`` alone (the current one by default)
    holding ``group`` and no Settings rights; the password is the login.

    ``group`` may be ``None`` (an internal user without the module's groups)
    or ``"base.group_portal"``.
    """
    company = company or env.company
    groups = group if group == "base.group_portal" else "base.group_user"
    if group and group != "base.group_portal":
        groups += f",{group}"
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[(6, 0, company.ids)],
    )


class AutomationFlowCase(TransactionCase):
    """Flows on contacts, a clock, and assertions on tasks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.partner_model = cls.env.ref("base.model_res_partner")
        cls.salesperson = new_test_user(
            cls.env, login="flow_salesperson", groups="base.group_user"
        )
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Flow test email",
                "model_id": cls.partner_model.id,
                "subject": "Hello {{ object.name }}",
                "email_to": "{{ object.email }}",
                "email_from": "shop@example.com",
                "body_html": "<p>Hello <t t-out='object.name'/></p>",
            }
        )
        cls.action_mark = cls.env["ir.actions.server"].create(
            {
                "name": "Flow test: mark contacts",
                "model_id": cls.partner_model.id,
                "state": "code",
                "code": "records.write({'function': 'flow was here'})",
            }
        )
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Flow contact {index}",
                    "email": f"contact{index}@example.com",
                    "user_id": cls.salesperson.id,
                }
                for index in range(6)
            ]
        )

    @classmethod
    def add_contact_field(cls, name, description, ttype, **values):
        """A custom field of contacts, added as a user would with Studio
        (contacts have no date of their own in the base modules)."""
        return cls.env["ir.model.fields"].create(
            {
                "name": name,
                "field_description": description,
                "model_id": cls.partner_model.id,
                "ttype": ttype,
                **values,
            }
        )

    @contextmanager
    def assertRefused(self, exception, pattern):
        """``assertRaises``, which undoes what the block did (unlike
        ``assertRaisesRegex``), and the message matches ``pattern``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def count_queries(self, function):
        """Queries of ``function`` and the flush after it, once the caches
        are warm (it runs twice, the second run counts)."""
        function()
        self.env.flush_all()
        start = self.cr.sql_log_count
        function()
        self.env.flush_all()
        return self.cr.sql_log_count - start

    def keep_record_hooks(self):
        """Put back, after the test, the record hooks in place before it: the
        flows the test creates are rolled back, their patches would stay."""
        Flow = self.env["automation.flow"]
        before = Flow._installed_record_hooks()

        def restore():
            Flow._remove_record_hooks()
            Flow._install_record_hooks(before)

        self.addCleanup(restore)

    @contextmanager
    def at(self, when):
        """Run the block as if it were ``when`` (a datetime)."""
        with freeze_time(when):
            yield

    @classmethod
    def create_flow(cls, **values):
        values.setdefault("name", "Test flow")
        values.setdefault("model_id", cls.partner_model.id)
        values.setdefault("domain", "[('name', '=like', 'Flow contact%')]")
        return cls.env["automation.flow"].create(values)

    @classmethod
    def add_step(cls, flow, step_type="action", parent=None, **values):
        values.update(
            flow_id=flow.id,
            step_type=step_type,
            parent_id=parent.id if parent else False,
        )
        values.setdefault("name", f"{step_type} step")
        values.setdefault("trigger", "after_step" if parent else "start")
        if step_type == "action":
            values.setdefault("server_action_id", cls.action_mark.id)
        elif step_type == "email":
            values.setdefault("mail_template_id", cls.template.id)
        elif step_type == "activity":
            values.setdefault("activity_type_id", cls.todo.id)
            values.setdefault("activity_user_id", cls.env.user.id)
        elif step_type == "approval":
            values.setdefault("approval_user_id", cls.salesperson.id)
        return cls.env["automation.flow.step"].create(values)

    @staticmethod
    def add_enroll_rule(flow, preset="created", **values):
        """The automation rule enrolling in ``flow``, made as its form makes
        it (the "Add a rule" button, then the preset wizard), as ``flow``'s
        user."""
        action = flow.action_create_automation_rule()
        wizard = (
            flow.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"preset": preset, **values})
        )
        wizard.action_create_rule()
        return (
            flow.env["ir.actions.server"]
            .sudo()
            .search([("automation_flow_id", "=", flow.id)], order="id desc", limit=1)
            .base_automation_id
        )

    @classmethod
    def start(cls, flow, periodic=False):
        flow.is_periodic = periodic
        flow.action_start()
        return flow

    def run_due(self):
        """The cron's work, without its commits, as the cron runs it
        (superuser) whichever user the test acts as."""
        return self.env["automation.flow.task"].sudo()._process_due_tasks()

    def approvals_of(self, step, user=None):
        """The approval rows of ``step`` (of ``user``'s only if given)."""
        domain = [("step_id", "=", step.id)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["automation.flow.approval"].search(domain)

    def decide_in_odoo(self, approval, user, decision, comment=False):
        """Decide as ``user`` the way the web client does: the Approve or
        Reject button of the approval form, then the dialog's Confirm."""
        approval = approval.with_user(user)
        button = (
            approval.action_approve
            if decision == "approved"
            else (approval.action_reject)
        )
        action = button()
        wizard = (
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
            .create({"comment": comment})
        )
        return wizard.action_confirm()

    def tasks_of(self, step, records=None):
        domain = [("step_id", "=", step.id)]
        if records is not None:
            domain.append(("res_id", "in", records.ids))
        return self.env["automation.flow.task"].search(domain)

    def assertTasks(self, step, records, state, count=None):
        """Each of ``records`` has a task of ``step`` in ``state``."""
        tasks = self.tasks_of(step, records)
        self.assertEqual(
            sorted(tasks.mapped("res_id")),
            sorted(records.ids),
            f"{step.name}: tasks for {records.ids}, got {tasks.mapped('res_id')}",
        )
        self.assertEqual(
            set(tasks.mapped("state")),
            {state},
            f"{step.name}: {tasks.mapped('state')} != {state}; errors: "
            f"{tasks.mapped('error_message')}",
        )


# Each child of the email step, with its delay in hours.
EMAIL_CHILDREN = {
    "email_opened": 1,
    "email_not_opened": 3,
    "email_clicked": 1,
    "email_not_clicked": 3,
    "email_replied": 1,
    "email_not_replied": 3,
    "email_bounced": 0,
    "after_step": 24,
}
OFFER_URL = "https://shop.example.com/offer?ref=flow"


class AutomationFlowEventCase:
    """A flow on contacts that emails them, then follows each event.

    Mix with ``TransactionCase`` or ``HttpCase``. The helpers act through
    the real paths only: the scheduler, Odoo's mail queue, the public routes
    (``HttpCase.url_open``) and the mail gateway (``message_process``).
    """

    # The children of the email step, each running the "Follow up" action:
    # trigger → their values besides the required ones.
    email_children = {
        trigger: {
            "delay": delay,
            "delay_unit": "hours",
            "expiry": 2,
            "expiry_unit": "days",
        }
        for trigger, delay in EMAIL_CHILDREN.items()
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": "Ann", "email": "ann@example.com"},
                {"name": "Bob", "email": "bob@example.com"},
            ]
        )
        partner_model = cls.env["ir.model"]._get("res.partner")
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Offer",
                "model_id": partner_model.id,
                "subject": "An offer for {{ object.name }}",
                "email_from": "sales@example.com",
                "partner_to": "{{ object.id }}",
                "body_html": (
                    '<p>Hello <t t-out="object.name"/>, see '
                    f'<a href="{OFFER_URL}">our offer</a>, '
                    '<a href="https://shop.example.com/terms">the terms</a> or '
                    '<a href="mailto:sales@example.com">write to us</a>.</p>'
                ),
            }
        )
        cls.action = cls.env["ir.actions.server"].create(
            {
                "name": "Follow up",
                "model_id": partner_model.id,
                "state": "code",
                "code": "records.write({'ref': 'followed up'})",
            }
        )
        cls.flow = cls.env["automation.flow"].create(
            {
                "name": "Offer follow-up",
                "model_id": partner_model.id,
                "domain": repr([("id", "in", cls.partners.ids)]),
            }
        )
        Step = cls.env["automation.flow.step"]
        cls.email_step = Step.create(
            {
                "name": "Offer",
                "flow_id": cls.flow.id,
                "step_type": "email",
                "trigger": "start",
                "mail_template_id": cls.template.id,
            }
        )
        cls.children = {
            trigger: Step.create(
                {
                    "name": trigger,
                    "flow_id": cls.flow.id,
                    "parent_id": cls.email_step.id,
                    "step_type": "action",
                    "server_action_id": cls.action.id,
                    "trigger": trigger,
                    **values,
                }
            )
            for trigger, values in cls.email_children.items()
        }
        cls.flow.action_start()

    # ------------------------------------------------------------------
    # Running the flow
    # ------------------------------------------------------------------

    def run_scheduler(self, at=NOW):
        with freeze_time(at):
            self.env["automation.flow.task"]._process_due_tasks()

    def queue_emails(self):
        """Enroll the contacts and run the email step: its mails are queued.

        :return: the email tasks, in the order of ``self.partners``
        """
        with freeze_time(NOW):
            self.flow._enroll()
        self.run_scheduler(NOW)
        tasks = self.env["automation.flow.task"].search(
            [("step_id", "=", self.email_step.id)]
        )
        return tasks.sorted(lambda task: self.partners.ids.index(task.res_id))

    def send_emails(self, tasks, at=NOW):
        """Send the tasks' mails through Odoo's mail queue (in test mode
        ``ir.mail_server`` stops short of the SMTP connection)."""
        with freeze_time(at):
            self.env["mail.mail"].process_email_queue(ids=tasks.mail_mail_id.ids)

    # ------------------------------------------------------------------
    # Reading the email
    # ------------------------------------------------------------------

    def open_path(self, path, at=NOW + HOUR, user_agent=None):
        """GET ``path`` on this server at ``at``, as a mail client or a
        browser (``HttpCase`` only); ``user_agent`` replaces requests' own."""
        headers = {"User-Agent": user_agent} if user_agent else None
        with freeze_time(at):
            response = self.url_open(path, headers=headers, allow_redirects=False)
        # The request wrote through the test cursor: read it afresh.
        self.env.invalidate_all()
        return response

    def tracking_paths(self, task):
        """The pixel and the tracked links of ``task``'s queued email, as
        paths to open on this server: ``(pixel, [link, …])``."""
        body = task.mail_mail_id.body_html
        pixel = re.search(r'<img src="([^"]+/blank\.gif)"', body).group(1)
        links = re.findall(r'href="([^"]+/r/[^"]+)"', body)
        return urlsplit(pixel).path, [urlsplit(link).path for link in links]

    # ------------------------------------------------------------------
    # Incoming emails, through the mail gateway
    # ------------------------------------------------------------------

    def receive(self, raw_email, at=NOW):
        with freeze_time(at):
            return self.env["mail.thread"].message_process(None, raw_email)

    def reply(self, task, at=NOW):
        partner = self.env["res.partner"].browse(task.res_id)
        return self.receive(
            f"""From: {partner.email_formatted}
To: sales@example.com
Subject: Re: An offer for {partner.name}
Message-ID: <reply-{task.id}@client.example.com>
In-Reply-To: {task.email_message_id}
References: <older-thread@client.example.com>
 {task.email_message_id}
Date: Mon, 02 Mar 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Yes, I am interested.
""",
            at,
        )

    def bounce(self, task, at=NOW):
        """A delivery status notification (RFC 3464) for ``task``'s email."""
        partner = self.env["res.partner"].browse(task.res_id)
        return self.receive(
            f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: sales@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{task.id}@mx.example.com>
Date: Mon, 02 Mar 2026 09:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="dsn-boundary"

--dsn-boundary
Content-Type: text/plain; charset=utf-8

Your message could not be delivered to {partner.email}.

--dsn-boundary
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: Mon, 02 Mar 2026 09:04:00 +0000

Final-Recipient: rfc822; {partner.email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--dsn-boundary
Content-Type: text/rfc822-headers

Message-Id: {task.email_message_id}
From: sales@example.com
To: {partner.email}
Subject: An offer for {partner.name}

--dsn-boundary--
""",
            at,
        )

    # ------------------------------------------------------------------
    # Assertions
    # ------------------------------------------------------------------

    def child(self, task, trigger):
        return task.child_ids.filtered(lambda child: child.trigger == trigger)

    def assertChildren(self, task, expected):
        """``expected`` maps triggers to a state or to ``(state, due time)``."""
        for trigger, state in expected.items():
            child = self.child(task, trigger)
            due = None
            if isinstance(state, tuple):
                state, due = state
            self.assertEqual(child.state, state, f"child {trigger}")
            if due:
                self.assertEqual(child.scheduled_at, due, f"due time of {trigger}")
