# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

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


class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"

    step_type = fields.Selection(
        selection_add=[("email", "Send an email")], ondelete={"email": "cascade"}
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
        help="Sender of the emails; the template's sender when empty.",
    )
    mail_server_id = fields.Many2one(
        "ir.mail_server",
        string="Outgoing mail server",
        help="The template's (or Odoo's default) server when empty.",
    )

    @api.constrains("step_type", "mail_template_id", "flow_id")
    def _check_mail_template(self):
        for step in self.filtered(lambda s: s.step_type == "email"):
            if not step.mail_template_id:
                raise ValidationError(
                    _("Choose the email template the step %s sends.", step.name)
                )
            if step.mail_template_id.model_id != step.model_id:
                step._raise_wrong_model(_("email template"), step.mail_template_id)

    def _execute_email(self, tasks):
        """Render the template for the whole batch and queue one mail per task.

        The mails are created in one ``create`` and sent by Odoo's mail queue,
        never here. Each mail's message stays on the record's chatter after
        the mail itself is deleted (``is_notification``).
        """
        self.ensure_one()
        # Flows send on behalf of the company that configured them: the
        # template is rendered and the mails created whatever the rights of
        # the user running the scheduler.
        template = self.mail_template_id.sudo()
        Mail = self.env["mail.mail"].sudo()
        rendered = template._generate_template(
            list(set(tasks.mapped("res_id"))), RENDERED_FIELDS
        )
        mails = Mail.create(
            [
                self._prepare_email_values(task, dict(rendered[task.res_id]))
                for task in tasks
            ]
        )
        tasks._write_links(
            mail_mail_id=mails.ids, email_message_id=mails.mapped("message_id")
        )

    def _prepare_email_values(self, task, values):
        """``mail.mail`` values of ``task``'s email from the rendered ones.

        Event tracking (open pixel, tracked links) hooks here.
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
        if self.mail_server_id:
            values["mail_server_id"] = self.mail_server_id.id
        return values
