# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

import lxml.html
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.mail import (
    URL_SKIP_PROTOCOL_REGEX,
    append_content_to_html,
    is_html_empty,
)

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

from ..engine import triggers
from ..engine.triggers import EVENT, NEGATIVE, Event, StepType, Trigger
from ..reasons import Reason
from .batch_defaults import with_batch_defaults
from .ir_qweb import COMPILE_ONCE
from .mail_rows import create_rows

# What a template renders into a mail, as mail.template.send_mail_batch does.
RENDERED_FIELDS = (
    "attachment_ids",
    "auto_delete",
    "body_html",
    "email_cc",
    "email_from",
    "email_to",
    "mail_server_id",
    "model",
    "partner_to",
    "reply_to",
    "report_template_ids",
    "res_id",
    "scheduled_date",
    "subject",
)
# Those of them that say who gets the mail (``_generate_template_recipients``).
RECIPIENT_FIELDS = ("email_cc", "email_to", "partner_to")


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    # The first time of each event of the emails (see ``_get_step_types``).
    sent_at = fields.Datetime("Sent on", readonly=True)
    failed_at = fields.Datetime("Failed on", readonly=True)
    opened_at = fields.Datetime("Opened on", readonly=True)
    clicked_at = fields.Datetime("Clicked on", readonly=True)
    replied_at = fields.Datetime("Replied on", readonly=True)
    bounced_at = fields.Datetime("Bounced on", readonly=True)
    unsubscribed_at = fields.Datetime("Unsubscribed on", readonly=True)

    def action_preview_email(self):
        """The email of the task's step as its record receives it; from the
        test dialog (``automation_flow_test_id`` in the context), with a way
        back to it."""
        self.ensure_one()
        test = self.env["automation.flow.test"].browse(
            self.env.context.get("automation_flow_test_id")
        )
        return self.env["automation.flow.step.preview"]._open(
            self.step_id, self.res_id, test.exists()
        )


class AutomationFlowTaskReport(models.Model):
    _inherit = "automation.flow.task.report"  # pylint: disable=consider-merging-classes-inherited

    # The columns of the email events (``<event>_count``).
    sent_count = fields.Integer("Sent", readonly=True)
    opened_count = fields.Integer("Opened", readonly=True)
    clicked_count = fields.Integer("Clicked", readonly=True)
    replied_count = fields.Integer("Replied", readonly=True)
    bounced_count = fields.Integer("Bounced", readonly=True)
    failed_count = fields.Integer("Failed to send", readonly=True)
    unsubscribed_count = fields.Integer("Unsubscribed", readonly=True)


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    # A new step sends an email unless told otherwise: the most common step.
    step_type = fields.Selection(
        selection_add=[("email", "Send an email")],
        ondelete={"email": "cascade"},
        default="email",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        ondelete="restrict",
        domain="[('model_id', '=', model_id)]",
    )
    mail_author_id = fields.Many2one(
        "res.partner",
        string="Author",
        domain="['|', ('id', '=', company_partner_id), ('user_ids', 'any', "
        "[('share', '=', False), ('company_ids', 'in', [company_id])])]",
        help="Sender of the emails: the company or one of its internal users. "
        "The template's sender when empty.",
    )
    company_partner_id = fields.Many2one(related="company_id.partner_id")
    mail_server_id = fields.Many2one(
        "ir.mail_server",
        string="Outgoing mail server",
        help="The template's (or Odoo's default) server when empty.",
    )

    email_sent_count = fields.Integer("Sent", compute="_compute_email_counters")
    email_opened_count = fields.Integer("Opened", compute="_compute_email_counters")
    email_clicked_count = fields.Integer("Clicked", compute="_compute_email_counters")
    email_replied_count = fields.Integer("Replied", compute="_compute_email_counters")
    email_bounced_count = fields.Integer("Bounced", compute="_compute_email_counters")
    email_unsubscribed_count = fields.Integer(
        "Unsubscribed", compute="_compute_email_counters"
    )
    email_failed_count = fields.Integer(
        "Failed to send", compute="_compute_email_counters"
    )
    email_open_rate = fields.Float(
        "Open rate",
        compute="_compute_email_counters",
        digits=(16, 1),
        help="Opened emails, in percent of the sent ones.",
    )
    email_click_rate = fields.Float(
        "Click rate",
        compute="_compute_email_counters",
        digits=(16, 1),
        help="Emails with a clicked link, in percent of the sent ones.",
    )
    email_reply_rate = fields.Float(
        "Reply rate",
        compute="_compute_email_counters",
        digits=(16, 1),
        help="Replied emails, in percent of the sent ones.",
    )
    email_bounce_rate = fields.Float(
        "Bounce rate",
        compute="_compute_email_counters",
        digits=(16, 1),
        help="Bounced emails, in percent of the sent ones.",
    )

    @api.model
    def _get_step_types(self):
        """Children of an email wait for it to be opened, clicked, replied to
        or to bounce, or follow when it was not opened, clicked, replied to
        within their delay, counted from the moment it left (``sent``)."""
        return {
            **super()._get_step_types(),
            "email": StepType(
                icon="fa-envelope",
                triggers=[
                    Trigger(
                        "email_opened",
                        EVENT,
                        "opened",
                        _("Email opened"),
                        (
                            _("As soon as the email is opened"),
                            _("%(delay)s after the email is opened"),
                        ),
                    ),
                    Trigger(
                        "email_not_opened",
                        NEGATIVE,
                        "opened",
                        _("Email not opened"),
                        (
                            _("If the email is not opened at once"),
                            _("If the email is not opened within %(delay)s"),
                        ),
                    ),
                    Trigger(
                        "email_clicked",
                        EVENT,
                        "clicked",
                        _("Email clicked"),
                        (
                            _("As soon as a link of the email is clicked"),
                            _("%(delay)s after a link of the email is clicked"),
                        ),
                    ),
                    Trigger(
                        "email_not_clicked",
                        NEGATIVE,
                        "clicked",
                        _("Email not clicked"),
                        (
                            _("If no link of the email is clicked at once"),
                            _("If no link of the email is clicked within %(delay)s"),
                        ),
                    ),
                    Trigger(
                        "email_replied",
                        EVENT,
                        "replied",
                        _("Email replied"),
                        (
                            _("As soon as the email is replied to"),
                            _("%(delay)s after the email is replied to"),
                        ),
                    ),
                    Trigger(
                        "email_not_replied",
                        NEGATIVE,
                        "replied",
                        _("Email not replied"),
                        (
                            _("If the email is not replied to at once"),
                            _("If the email is not replied to within %(delay)s"),
                        ),
                    ),
                    Trigger(
                        "email_bounced",
                        EVENT,
                        "bounced",
                        _("Email bounced"),
                        (
                            _("As soon as the email bounces"),
                            _("%(delay)s after the email bounces"),
                        ),
                    ),
                    # The recipient used the unsubscribe link of a marketing
                    # email (automation_flow_consent.py).
                    Trigger(
                        "email_unsubscribed",
                        EVENT,
                        "unsubscribed",
                        _("Unsubscribed"),
                        (
                            _("As soon as the recipient unsubscribes"),
                            _("%(delay)s after the recipient unsubscribes"),
                        ),
                    ),
                ],
                events=[
                    # "sent" and "failed" wake no trigger: they tell whether
                    # the email left. Its children count from the send.
                    Event(
                        "sent",
                        "sent_at",
                        reschedules=True,
                        email_state="sent",
                        label=_("Sent"),
                        icon="fa-paper-plane",
                    ),
                    # A failed email did not happen at all: nothing follows
                    # it until it is retried.
                    Event(
                        "failed",
                        "failed_at",
                        closes=(triggers.AFTER, EVENT, NEGATIVE),
                        email_state="failed",
                        label=_("Failed to send"),
                        icon="fa-times-circle",
                        cancel_reason=_(
                            "The email of the previous step could not be sent."
                        ),
                    ),
                    Event(
                        "opened",
                        "opened_at",
                        label=_("Opened"),
                        icon="fa-envelope-open-o",
                        cancel_reason=_("The email of the previous step was opened."),
                    ),
                    # A click or a reply proves the email was opened.
                    Event(
                        "clicked",
                        "clicked_at",
                        implies=("opened",),
                        label=_("Clicked"),
                        icon="fa-mouse-pointer",
                        cancel_reason=_(
                            "A link of the previous step's email was clicked."
                        ),
                    ),
                    Event(
                        "replied",
                        "replied_at",
                        implies=("opened",),
                        label=_("Replied"),
                        icon="fa-reply",
                        cancel_reason=_(
                            "The email of the previous step was replied to."
                        ),
                    ),
                    # A bounced email is never opened, clicked or replied.
                    Event(
                        "bounced",
                        "bounced_at",
                        closes=(EVENT, NEGATIVE),
                        email_state="bounced",
                        label=_("Bounced"),
                        icon="fa-exclamation-circle",
                        cancel_reason=_("The email of the previous step bounced."),
                    ),
                    Event(
                        "unsubscribed",
                        "unsubscribed_at",
                        label=_("Unsubscribed"),
                        icon="fa-user-times",
                        cancel_reason=_(
                            "The recipient of the previous step's email unsubscribed."
                        ),
                    ),
                ],
            ),
        }

    @api.depends("task_ids.email_state")
    def _compute_email_counters(self):
        """Test tasks are left out (see ``task._email_statistics``)."""
        statistics = self.env["automation.flow.task"]._email_statistics(
            "step_id", self._origin.ids
        )
        for step in self:
            step.update(statistics[step._origin.id])

    def _designer_summary(self):
        if self.step_type != "email":
            return super()._designer_summary()
        return _("Send %s", self.mail_template_id.name or "")

    def _designer_events(self):
        """The counters of the email statistics, with their rates."""
        if self.step_type != "email":
            return super()._designer_events()
        return [
            self._designer_event(event, label, count, rate)
            for event, label, count, rate in (
                ("sent", _("Sent"), self.email_sent_count, None),
                ("opened", _("Opened"), self.email_opened_count, self.email_open_rate),
                (
                    "clicked",
                    _("Clicked"),
                    self.email_clicked_count,
                    self.email_click_rate,
                ),
                (
                    "replied",
                    _("Replied"),
                    self.email_replied_count,
                    self.email_reply_rate,
                ),
                (
                    "bounced",
                    _("Bounced"),
                    self.email_bounced_count,
                    self.email_bounce_rate,
                ),
                ("failed", _("Failed to send"), self.email_failed_count, None),
                (
                    "unsubscribed",
                    _("Unsubscribed"),
                    self.email_unsubscribed_count,
                    None,
                ),
            )
            if count
        ]

    @api.constrains("step_type", "mail_template_id", "flow_id")
    def _check_mail_template(self):
        for step in self.filtered(lambda s: s.step_type == "email"):
            if not step.mail_template_id:
                raise ValidationError(
                    _("Choose the email template the step %s sends.", step.name)
                )
            if step.mail_template_id.model_id != step.model_id:
                step._raise_wrong_model(_("email template"), step.mail_template_id)

    @api.constrains("mail_author_id", "flow_id")
    def _check_mail_author(self):
        """Emails go out in the name of the flow's company: as the company
        itself or one of its users, never as any contact (a customer, a
        user of another company)."""
        for step in self.filtered("mail_author_id"):
            company = step.company_id
            # Whoever configures the step checks the author's users, which
            # they may not be able to read.
            author = step.mail_author_id.sudo()
            if author == company.partner_id or author.user_ids.filtered(
                lambda user, company=company: (
                    not user.share and company in user.company_ids
                )
            ):
                continue
            raise ValidationError(
                _(
                    "The emails of the step %(step)s cannot be sent as "
                    "%(author)s: choose the company %(company)s or one of its "
                    "users as author, or leave the author empty to send as the "
                    "template's sender.",
                    step=step.name,
                    author=author.display_name,
                    company=company.name,
                )
            )

    def _execution_error(self):
        """The template's model is checked again when the step runs: rendered
        for another model, it would write to the records of that model that
        share the ids."""
        error = super()._execution_error()
        template = self.mail_template_id.sudo()  # whoever runs the scheduler
        if error or self.step_type != "email" or template.model == self.model:
            return error
        return Reason(
            "template_model",
            template=template.name,
            template_model=template.model_id.name,
            model=self.model_id.name,
            step=self.name,
        )

    def _execute_email(self, tasks):
        """Render the template for the whole batch and queue one mail per task.

        The mails are created at once (``_create_mails``), never sent here:
        the scheduler sends a batch's mails once the batch is committed
        (``task._send_mails_of``), or else Odoo's mail queue does. Each
        mail's message stays on the record's chatter after the mail itself
        is deleted (``is_notification``).
        """
        self.ensure_one()
        # Flows send on behalf of the company that configured them: the
        # template is rendered and the mails created whatever the rights of
        # the user running the scheduler.
        template = self.mail_template_id.sudo().with_context(**{COMPILE_ONCE: True})
        res_ids = list(set(tasks.mapped("res_id")))
        # The recipients the batch's contact policy rendered are those its
        # consent and caps were checked on: the mails go to them.
        recipients = self._batch_recipients(res_ids)
        if any(res_id not in recipients for res_id in res_ids):
            rendered = template._generate_template(res_ids, RENDERED_FIELDS)
        else:
            rendered = template._generate_template(
                res_ids, set(RENDERED_FIELDS) - set(RECIPIENT_FIELDS)
            )
            for res_id in res_ids:
                rendered[res_id].update(recipients[res_id])
        values_list = [
            self._prepare_email_values(task, dict(rendered[task.res_id]))
            for task in tasks
        ]
        values_list = self._add_email_tracking(tasks, values_list)
        # Marketing emails: an unsubscribe link and headers, and the address
        # the contact caps count (automation_flow_consent.py).
        addresses = self._add_unsubscribe(
            tasks, values_list, self._recipient_addresses(rendered)
        )
        mails, message_ids = self._create_mails(values_list)
        # A retried email starts over: queued, no longer failed.
        tasks._write_links(
            mail_mail_id=mails.ids,
            email_message_id=message_ids,
            email_state=["queued"] * len(tasks),
            failed_at=[None] * len(tasks),
            **addresses,
        )

    def _create_mails(self, values_list):
        """Create the ``mail.mail`` of each of ``values_list``: the same rows
        as ``mail.mail.create(values_list)``, with less work per mail; return
        the mails and their Message-Ids.

        ``mail.mail`` inherits ``mail.message`` (``_inherits``): its create
        computes the message's defaults with its own for every mail, and
        puts the sanitized body in the cache of both records (a third
        sanitization of each body). Here the messages are created first, in
        one ``create``, with their record names read for the batch at once
        (``mail.message.create`` computes each alone); then the mails, with
        their own fields and their message. Both with their default values
        computed once (``with_batch_defaults``), and, unless another module
        overrides their ``create``, inserted without the ORM's work per
        record (``mail_rows.create_rows``). Odoo still makes each message's
        Message-Id.
        """
        # Mails are created for the flow, whoever runs the scheduler.
        Mail = with_batch_defaults(self.env["mail.mail"].sudo())
        Message = Mail.env["mail.message"]
        inherited = {name for name, field in Mail._fields.items() if field.inherited}
        messages_values = [
            {name: value for name, value in values.items() if name in inherited}
            for values in values_list
        ]
        self._add_record_names(Message, messages_values)
        messages = create_rows(Message, messages_values)
        mails_values = [
            {
                **{
                    name: value
                    for name, value in values.items()
                    if name not in inherited
                },
                "mail_message_id": message.id,
            }
            for values, message in zip(values_list, messages, strict=True)
        ]
        return (
            create_rows(Mail, mails_values),
            [values["message_id"] for values in messages_values],
        )

    @api.model
    def _add_record_names(self, Message, messages_values):
        """Give each message the name of its record, as
        ``mail.message.create`` does (``_get_record_name``: the display name,
        as superuser), read for all records of the batch at once."""
        if "default_record_name" in Message.env.context:
            return
        res_ids = defaultdict(set)
        for values in messages_values:
            if "record_name" not in values and values.get("res_id"):
                res_ids[values.get("model")].add(values["res_id"])
        names = {}
        for model, ids in res_ids.items():
            if model not in Message.env:
                continue
            # Message names are read as superuser, as Odoo does.
            for record in Message.env[model].sudo().browse(ids):
                names[model, record.id] = record.display_name
        for values in messages_values:
            name = names.get((values.get("model"), values.get("res_id")))
            if "record_name" not in values and name is not None:
                values["record_name"] = name

    def _batch_recipients(self, res_ids):
        """``{res_id: recipient values}`` (``RECIPIENT_FIELDS`` rendered) of
        those of the records ``res_ids`` whose recipients the batch rendered
        already (see automation_flow_pressure.py): none here."""
        return {}

    def _render_email(self, res_id):
        """The template rendered for the record ``res_id``, as the step sends
        it (before ``_prepare_email_values`` and tracking): for previews."""
        self.ensure_one()
        # Rendered as the scheduler renders it (see ``_execute_email``).
        template = self.mail_template_id.sudo()
        return dict(template._generate_template([res_id], RENDERED_FIELDS)[res_id])

    def action_preview_email(self):
        """Preview the step's email for a record of the flow, and send it to
        yourself."""
        self.ensure_one()
        return self.env["automation.flow.step.preview"]._open(self)

    def _prepare_email_values(self, task, values):
        """``mail.mail`` values of ``task``'s email from the rendered ones.

        Event tracking (open pixel, tracked links) is added to the whole
        batch afterwards, by ``_add_email_tracking``.
        """
        values["recipient_ids"] = [(4, pid) for pid in values.pop("partner_ids", [])]
        values["attachment_ids"] = [
            (4, aid) for aid in values.get("attachment_ids") or []
        ] + [
            (0, 0, {"name": name, "datas": data, "type": "binary"})
            for name, data in values.pop("attachments", [])
        ]
        if not values.get("email_from"):
            values.pop("email_from", None)
        values["body"] = values.get("body_html")
        # The message stays on the record's chatter when the mail is deleted.
        values.update(is_notification=True, message_type="email_outgoing")
        if self.mail_author_id:
            values["author_id"] = self.mail_author_id.id
            values["email_from"] = self.mail_author_id.email_formatted
        elif responsible := self.flow_id.user_id.partner_id:
            # On the record's chatter the email is the flow's, posted in its
            # responsible's name, not in the name of whoever runs the
            # scheduler (OdooBot); the template's sender stays the sender.
            values["author_id"] = responsible.id
            if not values.get("email_from") and responsible.email:
                values["email_from"] = responsible.email_formatted
        if self.mail_server_id:
            values["mail_server_id"] = self.mail_server_id.id
        return values

    def _add_email_tracking(self, tasks, values_list):
        """Send the links of these emails through tracked short links and add
        an open pixel, both signed for each task; return ``values_list``.

        Link trackers come from one ``search_or_create`` for the batch: one
        per distinct link, not one per email. Only the sent body changes: the
        message kept on the record's chatter (``body``) keeps the original
        links, so that reading the chatter counts no open and no click.
        """
        Task = self.env["automation.flow.task"]
        base_url = self.get_base_url()
        parsed, link_values = [], []
        for values in values_list:
            html = values.get("body_html")
            if not html or is_html_empty(html):
                parsed.append((None, []))
                continue
            root = lxml.html.fromstring(html)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root,
                base_url,
                skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
                skip_prefix=f"{base_url}/r/",
            )
            parsed.append((root, nodes))
            link_values += urls_and_labels
        # Trackers are shared by every flow and user; the title is given so
        # that creating one does not fetch the page (an outside request from
        # the scheduler per new link).
        trackers = iter(
            self.env["link.tracker"]
            .sudo()
            .search_or_create(
                [dict(link, title=link["label"] or link["url"]) for link in link_values]
            )
            if link_values
            else ()
        )
        key = Task._signing_key()
        for task, values, (root, nodes) in zip(tasks, values_list, parsed, strict=True):
            token = Task._tracking_token(task.id, key)
            body = values.get("body_html") or ""
            for node in nodes:
                node.set("href", f"{next(trackers).short_url}/af/{task.id}/{token}")
            if nodes:
                body = lxml.html.tostring(root, encoding="unicode", method="xml")
            pixel_url = f"{base_url}/automation_flow/open/{task.id}/{token}/blank.gif"
            values["body_html"] = append_content_to_html(
                body,
                Markup('<img src="%s" alt="" width="1" height="1" border="0"/>')
                % pixel_url,
                plaintext=False,
            )
        return values_list
