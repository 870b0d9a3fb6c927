# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from collections import Counter
from unittest.mock import patch

from odoo.fields import Datetime
from odoo.models import BaseModel
from odoo.sql_db import Cursor
from odoo.tests import tagged

from ..engine.fast_rows import REPRODUCED, fast_path_allowed
from ..models import mail_rows
from ..models.batch_defaults import with_batch_defaults
from .common import AutomationFlowCase

# What differs between two mails of the same template by nature: ids, times,
# the Message-Id (unique), the sent body (the step tracks its links: asserted
# apart) and what is computed from those.
NOT_COMPARED = {
    "id",
    "mail_ids",
    "mail_message_id",
    "mail_message_id_int",
    "message_id",
    "date",
    "create_date",
    "write_date",
    "body_html",
    "body_content",
}
MESSAGE_ID = re.compile(r"^<\d+\.\d+\.\d+-openerp-(\d+)-res\.partner@[^>\s]+>$")


@tagged("post_install", "-at_install")
class TestEmailRows(AutomationFlowCase):
    """The mails and activities the steps create for a batch are the rows
    Odoo's own ``mail.template.send_mail`` and ``mail.activity`` creation
    give, although the steps create them with less work per record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.env["ir.mail_server"].create(
            {"name": "Rows test server", "smtp_host": "127.0.0.1", "smtp_port": 2525}
        )
        cls.template.write(
            {
                "partner_to": "{{ object.id }}",
                "email_cc": "cc@example.com",
                "reply_to": "replies@example.com",
                "mail_server_id": cls.server.id,
                "auto_delete": False,
                "body_html": "<p>Hello <t t-out='object.name'/>, "
                "<a href='https://example.com/news'>news</a></p>",
            }
        )
        cls.flow = cls.create_flow(
            domain="[('name', 'in', ['Flow contact 0', 'Flow contact 1', "
            "'Flow contact 2'])]"
        )
        cls.email_step = cls.add_step(cls.flow, "email")
        cls.activity_step = cls.add_step(
            cls.flow,
            "activity",
            activity_user_id=cls.salesperson.id,
            activity_summary="Call the contact",
            activity_note="<p>Ask about the news</p>",
            activity_deadline_days=3,
        )

    def run_flow(self, fast=True):
        """Run the flow; return the models whose rows the fast path inserted
        (``mail_rows``), the ORM creating the others (all with ``fast=False``)."""
        inserted = []
        insert = mail_rows.insert_rows

        def spied(Model, values_list):
            inserted.append(Model._name)
            return insert(Model, values_list)

        with (
            patch.object(mail_rows, "insert_rows", spied),
            patch.object(
                mail_rows, "takes_fast_path", side_effect=mail_rows.takes_fast_path
            ) as fast_path,
        ):
            if not fast:
                fast_path.side_effect = None
                fast_path.return_value = False
            self.start(self.flow)
            self.flow.action_run()
            self.run_due()
        self.env.invalidate_all()
        return inserted

    def stored_values(self, record):
        names = [
            name
            for name, field in record._fields.items()
            if name not in NOT_COMPARED
            and (field.store or (field.inherited and field.related_field.store))
        ]
        values = record.read(names, load=None)[0]
        del values["id"]
        return values

    def test_mail_is_the_one_of_send_mail(self):
        """Inserted by the fast path (``mail_rows``)."""
        self.assertEqual(
            self.run_flow(), ["mail.message", "mail.mail", "mail.followers"]
        )
        self.check_mails_are_those_of_send_mail()

    def test_mail_of_the_orm_is_the_one_of_send_mail(self):
        """Created by the ORM (another module overriding ``create``)."""
        self.assertEqual(self.run_flow(fast=False), [])
        self.check_mails_are_those_of_send_mail()

    def check_mails_are_those_of_send_mail(self):
        tasks = self.tasks_of(self.email_step)
        self.assertEqual(len(tasks), 3)
        mails = tasks.mail_mail_id
        self.assertEqual(len(mails), 3)
        self.assertEqual(len(set(mails.mapped("message_id"))), 3)
        for task in tasks:
            mail = task.mail_mail_id
            partner = self.env["res.partner"].browse(task.res_id)
            # What the step adds to what the template renders, given to
            # Odoo as the step gives it.
            reference = self.env["mail.mail"].browse(
                self.template.send_mail(
                    partner.id,
                    email_values={
                        "author_id": mail.author_id.id,
                        "headers": mail.headers,
                        "is_notification": True,
                        "message_type": "email_outgoing",
                    },
                )
            )
            self.env.invalidate_all()
            with self.subTest(partner=partner.name):
                expected = self.stored_values(reference)
                got = self.stored_values(mail)
                # The step has always given the rendered partners to the
                # mail alone (``recipient_ids``), not to its message.
                self.assertEqual(expected.pop("partner_ids"), partner.ids)
                self.assertEqual(got.pop("partner_ids"), [])
                differ = {
                    name: got[name] for name in expected if got[name] != expected[name]
                }
                self.assertEqual(differ, {}, "fields that differ from Odoo's mail")
                self.assertEqual(mail.author_id, self.flow.user_id.partner_id)
                self.assertEqual(mail.email_from, "shop@example.com")
                self.assertEqual(mail.reply_to, "replies@example.com")
                self.assertEqual(mail.record_name, partner.display_name)
                self.assertEqual(mail.recipient_ids, partner)
                self.assertEqual(mail.email_to, partner.email)
                self.assertEqual(mail.mail_server_id, self.server)
                self.assertIn("List-Unsubscribe", mail.headers)
                self.assertEqual(mail.state, "outgoing")
                # The chatter keeps the body as written; the sent body has
                # its tracked links, pixel and unsubscribe link.
                self.assertIn("https://example.com/news", mail.body)
                self.assertNotIn("/automation_flow/open/", mail.body)
                self.assertIn("/automation_flow/open/", mail.body_html)
                match = MESSAGE_ID.match(mail.message_id)
                self.assertTrue(match, mail.message_id)
                self.assertEqual(int(match.group(1)), partner.id)
                self.assertEqual(task.email_message_id, mail.message_id)
                self.assertIn(mail.mail_message_id, partner.message_ids)

    def test_both_paths_insert_the_same_rows(self):
        """The same values given to ``create_rows`` with and without the fast
        path: every stored field of the message and of the mail is the same,
        the body sanitized as the field does."""
        partner = self.partners[0]
        Mail = with_batch_defaults(self.env["mail.mail"].sudo())
        Message = Mail.env["mail.message"]

        def create(fast):
            messages = mail_rows.create_rows(
                Message,
                [
                    {
                        "body": "<p onclick='steal()'>Hello<script>x()</script></p>",
                        "subject": "Rows",
                        "model": "res.partner",
                        "res_id": partner.id,
                        "author_id": self.flow.user_id.partner_id.id,
                        "message_type": "email_outgoing",
                        "mail_server_id": self.server.id,
                        "attachment_ids": [],
                    }
                ],
            )
            mails = mail_rows.create_rows(
                Mail,
                [
                    {
                        "mail_message_id": messages.id,
                        "body_html": "<p>Hello, sent</p>",
                        "email_to": partner.email,
                        "recipient_ids": [(4, partner.id)],
                        "headers": "{'X-Rows': 'yes'}",
                        "is_notification": True,
                    }
                ],
            )
            self.env.invalidate_all()
            return messages, mails

        with patch.object(
            mail_rows, "insert_rows", wraps=mail_rows.insert_rows
        ) as insert:
            fast_message, fast_mail = create(fast=True)
        self.assertEqual(insert.call_count, 2)
        with patch.object(mail_rows, "takes_fast_path", return_value=False):
            orm_message, orm_mail = create(fast=False)
        for fast, orm in ((fast_message, orm_message), (fast_mail, orm_mail)):
            with self.subTest(model=fast._name):
                self.assertEqual(self.stored_values(fast), self.stored_values(orm))
        self.assertEqual(fast_message.body, orm_message.body)
        self.assertNotIn("script", fast_message.body)
        self.assertNotIn("onclick", fast_message.body)
        self.assertEqual(fast_mail.recipient_ids, partner)
        self.assertEqual(fast_mail.mail_message_id, fast_message)
        self.assertIn(fast_message, partner.message_ids)

    def test_values_the_fast_path_does_not_reproduce_go_through_the_orm(self):
        """Attachments and images inside the body (which
        ``mail.message.create`` turns into attachments) are left to the
        ORM, for the whole batch."""
        partner = self.partners[0]
        Message = with_batch_defaults(self.env["mail.message"].sudo())
        attachment = self.env["ir.attachment"].create(
            {"name": "offer.txt", "raw": b"offer", "res_model": "res.partner"}
        )
        common = {"model": "res.partner", "res_id": partner.id, "body": "<p>Hi</p>"}
        image = "<p><img src='data:image/png;base64,iVBORw0KGgo='/></p>"
        for values in (
            {**common, "attachment_ids": [(4, attachment.id)]},
            {**common, "body": image},
        ):
            with (
                self.subTest(values=sorted(values)),
                patch.object(
                    mail_rows, "insert_rows", wraps=mail_rows.insert_rows
                ) as insert,
            ):
                message = mail_rows.create_rows(Message, [dict(common), values])
                self.assertFalse(insert.called)
                self.assertEqual(len(message), 2)
                self.assertTrue(message[1].attachment_ids)

    def test_an_unknown_create_override_goes_through_the_orm(self):
        """A module the fast path does not know overriding ``create`` of the
        mails sends them through the ORM; the messages still take the fast
        path, and the rows are the same."""
        Mail = self.env["mail.mail"]
        self.assertTrue(fast_path_allowed("mail.mail", type(Mail).__mro__))

        class CustomerOverride:
            _module = "customer_module"

            # A stand-in for another module's override, never called.
            def create(self, vals_list):  # pylint: disable=method-required-super
                return vals_list

        self.assertFalse(
            fast_path_allowed("mail.mail", (CustomerOverride, *type(Mail).__mro__))
        )
        # The registry as if ``mail``'s own create were such a module.
        with patch.dict(REPRODUCED, {"mail.mail": {None}}):
            self.assertFalse(fast_path_allowed("mail.mail", type(Mail).__mro__))
            self.assertEqual(self.run_flow(), ["mail.message", "mail.followers"])
        self.check_mails_are_those_of_send_mail()

    def test_activity_is_the_one_odoo_creates(self):
        """The activities and the followers they subscribe (inserted by the
        fast path) are those Odoo's ``mail.activity.create`` makes."""
        self.assertIn("mail.followers", self.run_flow())
        tasks = self.tasks_of(self.activity_step)
        self.assertEqual(len(tasks.activity_id), 3)
        other = self.partners[5]
        self.assertNotIn(self.salesperson.partner_id, other.message_partner_ids)
        for task in tasks:
            activity = task.activity_id
            partner = self.env["res.partner"].browse(task.res_id)
            reference = (
                self.env["mail.activity"]
                .sudo()
                .with_context(mail_activity_quick_update=True)
                .create(
                    {
                        "res_model_id": self.partner_model.id,
                        "res_id": other.id,
                        "activity_type_id": self.todo.id,
                        "summary": "Call the contact",
                        "note": "<p>Ask about the news</p>",
                        "date_deadline": activity.date_deadline,
                        "user_id": self.salesperson.id,
                        "automated": True,
                    }
                )
            )
            self.env.invalidate_all()
            with self.subTest(partner=partner.name):
                expected = self.stored_values(reference)
                got = self.stored_values(activity)
                differ = {
                    name: got[name] for name in expected if got[name] != expected[name]
                }
                self.assertEqual(
                    differ, {"res_id": partner.id, "res_name": partner.display_name}
                )
                self.assertEqual(activity.user_id, self.salesperson)
                self.assertIn(self.salesperson.partner_id, partner.message_partner_ids)
                followers = {
                    follower.res_id: self.stored_values(follower)
                    for follower in self.env["mail.followers"].search(
                        [
                            ("partner_id", "=", self.salesperson.partner_id.id),
                            ("res_model", "=", "res.partner"),
                            ("res_id", "in", [partner.id, other.id]),
                        ]
                    )
                }
                self.assertEqual(
                    {**followers[partner.id], "res_id": other.id}, followers[other.id]
                )
                self.assertTrue(followers[other.id]["subtype_ids"])
                assigned = partner.with_user(self.salesperson)
                self.assertIn(activity, assigned.activity_ids)
            reference.unlink()
        self.assertIn(self.salesperson.partner_id, other.message_partner_ids)

    def test_activities_are_inserted_whole(self):
        """New activities get their model, their record's name, their done
        date and their assignee's time zone in their ``INSERT``, with the
        values of Odoo's computes: no ``UPDATE`` of them follows (it used to,
        for every batch)."""
        user = self.salesperson
        user.tz = "Europe/Madrid"
        values = [
            {"res_model_id": self.partner_model.id, "res_id": partner.id}
            for partner in self.partners[:2]
        ]
        values[1]["active"] = False
        values.append(
            {
                "res_model_id": self.env["ir.model"]._get_id("automation.flow"),
                "res_id": self.flow.id,
            }
        )
        statements = []
        execute = Cursor.execute

        def recorded(cr, query, params=None, log_exceptions=True):
            statements.append(getattr(query, "code", query))
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", recorded):
            activities = (
                self.env["mail.activity"]
                .with_context(mail_activity_quick_update=True)
                .create(
                    [
                        {**vals, "activity_type_id": self.todo.id, "user_id": user.id}
                        for vals in values
                    ]
                )
            )
            self.env.flush_all()
        updates = [
            statement
            for statement in statements
            if re.match(r'\s*UPDATE\s+"?mail_activity"?\s', statement)
        ]
        self.assertEqual(updates, [])
        self.assertTrue(any("INSERT" in statement for statement in statements))
        self.env.invalidate_all()
        self.assertEqual(
            [
                (
                    activity.res_model,
                    activity.res_name,
                    activity.date_done,
                    activity.user_tz,
                )
                for activity in activities
            ],
            [
                ("res.partner", self.partners[0].display_name, False, "Europe/Madrid"),
                (
                    "res.partner",
                    self.partners[1].display_name,
                    Datetime.now().date(),
                    "Europe/Madrid",
                ),
                ("automation.flow", self.flow.display_name, False, "Europe/Madrid"),
            ],
        )

    def test_default_values_are_computed_once_per_batch(self):
        """Odoo computes the default values of each record it creates; the
        messages, mails and activities of a batch get theirs computed once
        (twice: the second proves they are the same for every record)."""
        computed = Counter()
        add_missing = BaseModel._add_missing_default_values

        def counted(model, values):
            computed[model._name] += 1
            return add_missing(model, values)

        with patch.object(BaseModel, "_add_missing_default_values", counted):
            self.run_flow()
        self.assertEqual(len(self.tasks_of(self.email_step).mail_mail_id), 3)
        self.assertEqual(len(self.tasks_of(self.activity_step).activity_id), 3)
        self.assertEqual(
            {name: computed[name] for name in ("mail.message", "mail.activity")},
            {"mail.message": 2, "mail.activity": 2},
        )
