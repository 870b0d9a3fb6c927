# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class AutomationFlowStepPreview(models.TransientModel):
    """The email of an email step as one record of the flow would receive
    it, and a test copy of it sent to the current user.

    Nothing of the flow moves: no enrollment, no task, no trace on the
    record's chatter; the test copy leaves through the step's (or Odoo's
    default) outgoing server, its subject marked as a test.
    """

    _name = "automation.flow.step.preview"
    _description = "Preview and Test an Email Step"

    step_id = fields.Many2one(
        "automation.flow.step",
        required=True,
        ondelete="cascade",
        domain="[('step_type', '=', 'email')]",
    )
    flow_id = fields.Many2one(related="step_id.flow_id")
    model = fields.Char(related="step_id.model")
    record_domain = fields.Char(compute="_compute_record_domain")
    res_id = fields.Many2oneReference(
        "Record",
        model_field="model",
        help="A record of the flow: the email is rendered for it.",
    )
    subject = fields.Char(compute="_compute_preview")
    email_from = fields.Char("From", compute="_compute_preview")
    recipients = fields.Char("To", compute="_compute_preview")
    attachments = fields.Char(compute="_compute_preview")
    body_html = fields.Html("Body", compute="_compute_preview", sanitize_style=True)
    preview_error = fields.Char(compute="_compute_preview")
    test_id = fields.Many2one(
        "automation.flow.test",
        ondelete="cascade",
        help="The test dialog the preview was opened from, to go back to.",
    )
    sent_to = fields.Char(readonly=True)

    @api.depends("step_id")
    def _compute_record_domain(self):
        for preview in self:
            preview.record_domain = (
                preview.flow_id._picker_domain() if preview.flow_id else "[]"
            )

    @api.depends("step_id", "res_id")
    def _compute_preview(self):
        for preview in self:
            values, error = {}, False
            if preview.step_id and preview.res_id:
                try:
                    values = preview._render()
                except (UserError, AccessError) as exception:
                    error = str(exception)
            preview.update(
                {
                    "subject": values.get("subject"),
                    "email_from": values.get("email_from"),
                    "recipients": values.get("recipients"),
                    "attachments": values.get("attachments"),
                    "body_html": values.get("body_html"),
                    "preview_error": error,
                }
            )

    def _check_record(self):
        """The record is one the user may read and that matches the flow."""
        self.ensure_one()
        step = self.step_id
        if step.step_type != "email" or not step.mail_template_id:
            raise UserError(
                _("Only an email step with a template can be previewed: %s.", step.name)
            )
        if not self.res_id:
            raise UserError(_("Choose a record to preview the email with."))
        # The preview shows the record's data: only to who may read it.
        self.env[self.model].browse(self.res_id).check_access("read")
        Model = step.flow_id._responsible_model()
        if not Model.search_count(
            step.flow_id._get_records_domain() + [("id", "=", self.res_id)], limit=1
        ):
            raise UserError(
                _(
                    "This record does not match the flow %(flow)s: choose one of "
                    "the records the flow enrolls.",
                    flow=step.flow_id.name,
                )
            )

    def _render(self):
        """The email as the step would send it: subject, sender, recipients,
        attachment names, body, and its ``mail.mail`` values (from
        ``_prepare_email_values``, before tracking)."""
        self._check_record()
        step = self.step_id
        rendered = step._render_email(self.res_id)
        # Names of the template's attachments and reports, for the user who
        # may read the record and the step (checked above).
        attachments = self.env["ir.attachment"].sudo().browse(
            rendered.get("attachment_ids") or []
        ).mapped("name") + [name for name, _data in rendered.get("attachments") or []]
        values = step._prepare_email_values(
            self.env["automation.flow.task"], dict(rendered)
        )
        partners = (
            self.env["res.partner"].sudo().browse(rendered.get("partner_ids") or [])
        )
        recipients = [partner.email_formatted for partner in partners] + [
            address
            for address in (values.get("email_to"), values.get("email_cc"))
            if address
        ]
        return {
            "subject": values.get("subject"),
            "email_from": values.get("email_from"),
            "recipients": ", ".join(recipients),
            "attachments": ", ".join(attachments),
            "body_html": values.get("body_html"),
            "values": values,
        }

    @api.model
    def _open(self, step, res_id=False, test=None):
        """The preview dialog of ``step``, on ``res_id`` if given; ``test``:
        the test dialog it goes back to (a dialog replaces another)."""
        preview = self.create(
            {"step_id": step.id, "res_id": res_id, "test_id": test and test.id}
        )
        return preview._reopen()

    def action_back_to_test(self):
        self.ensure_one()
        return self.test_id._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Preview of %s", self.step_id.name),
        }

    def action_send_to_me(self):
        """Send the rendered email to the current user alone, now, through
        the step's outgoing server, marked as a test."""
        self.ensure_one()
        user = self.env.user
        if not user.email:
            raise UserError(
                _("Set your email in your preferences to send yourself a test.")
            )
        rendered = self._render()
        values = dict(rendered["values"])
        # The test copy goes to the user alone and stays off the record's
        # chatter (no model, no record), out of the flow's tasks.
        values.update(
            subject=_("[Test] %s", rendered["subject"] or ""),
            email_to=user.email_formatted,
            email_cc=False,
            recipient_ids=[],
            model=False,
            res_id=False,
            is_notification=False,
            auto_delete=True,
            headers=repr({"X-Automation-Flow-Test": "1"}),
        )
        values.pop("body", None)
        values.pop("report_template_ids", None)
        # The user may not create mails themselves: the checks above said
        # they may read the record and the step; the mail goes to them.
        mail = self.env["mail.mail"].sudo().create(values)
        mail.send(raise_exception=False)
        if mail.exists() and mail.state == "exception":
            raise UserError(
                _(
                    "The test email could not be sent: %(error)s",
                    error=mail.failure_reason or _("unknown error"),
                )
            )
        self.sent_to = user.email_formatted
        return self._reopen()
