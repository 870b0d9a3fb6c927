# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Consent: marketing flows email only the people who did not say no.

A flow is marketing unless it is marked *transactional* (an order
confirmation is not marketing). The emails of marketing flows skip the
addresses of Odoo's blacklist (``mail.blacklist``: a contact's *Blacklisted*
switch, a mass mailing's unsubscribe) and those opted out of the flow
(``automation.flow.optout``), checked once per batch; each one they send
carries a signed unsubscribe link and the ``List-Unsubscribe`` headers of
RFC 8058 (``controllers/unsubscribe.py``). Unsubscribing is an event of the
email (``unsubscribed``), which the steps under it may follow.
"""

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.mail import append_content_to_html

from ..engine import signing
from ..reasons import Reason
from .automation_flow_step_email import RECIPIENT_FIELDS

UNSUBSCRIBE_TOKEN_SCOPE = "automation_flow-unsubscribe"
FLOW_ONLY = "flow"
ALL_MAILINGS = "all"
# The reasons of the tasks skipped by consent (statistics count them).
CONSENT_REASONS = ("consent_blacklisted", "consent_flow_optout")


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    transactional = fields.Boolean(
        help="Emails people expect whatever they chose (an order confirmation, "
        "a password reset): sent to blacklisted and opted-out addresses too, "
        "without an unsubscribe link, and not counted by the contact caps. "
        "Leave it off for marketing flows.",
    )
    optout_ids = fields.One2many(
        "automation.flow.optout", "flow_id", string="Opted out"
    )
    optout_count = fields.Integer("Opt-outs", compute="_compute_optout_count")

    def _compute_optout_count(self):
        counts = dict(
            self.env["automation.flow.optout"]._read_group(
                [("flow_id", "in", self.ids)], ["flow_id"], ["__count"]
            )
        )
        for flow in self:
            flow.optout_count = counts.get(flow, 0)

    def action_view_optouts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Opted out of %s", self.name),
            "res_model": "automation.flow.optout",
            "view_mode": "list,form",
            "domain": [("flow_id", "=", self.id)],
            "context": {"default_flow_id": self.id},
        }


class AutomationFlowOptout(models.Model):
    """An address that no longer wants the emails of one flow."""

    _name = "automation.flow.optout"
    _description = "Automation Flow Opt-out"
    _order = "create_date desc, id desc"
    _rec_name = "email"

    email = fields.Char(
        required=True, help="Stored normalized: lower case, without the name."
    )
    flow_id = fields.Many2one(
        "automation.flow", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="flow_id.company_id", store=True)

    _sql_constraints = [
        (
            "email_flow_unique",
            "UNIQUE(email, flow_id)",
            "This address is already opted out of this flow.",
        )
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "email" in vals:
                vals["email"] = self._normalized(vals["email"])
        return super().create(vals_list)

    def write(self, vals):
        if "email" in vals:
            vals["email"] = self._normalized(vals["email"])
        return super().write(vals)

    @api.model
    def _normalized(self, email):
        normalized = tools.email_normalize(email or "")
        if not normalized:
            raise ValidationError(
                self.env._(
                    "%(email)s is not an email address: write it as name@example.com.",
                    email=email or "",
                )
            )
        return normalized


class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    def _is_marketing_email(self):
        """Consent and contact caps apply to the emails of marketing flows."""
        self.ensure_one()
        return self.step_type == "email" and not self.flow_id.transactional

    @api.model
    def _recipient_addresses(self, recipients):
        """The address each record's email goes to, normalized: the first of
        its ``email_to``, else the first of its partners' with one.

        :param recipients: ``{res_id: values}`` with ``email_to`` and
            ``partner_ids``, as the template renders them
        :return: ``{res_id: address or False}`` (one read of the partners)
        """
        partner_ids = {
            pid
            for values in recipients.values()
            for pid in values.get("partner_ids") or []
        }
        # The recipients' addresses, whoever runs the scheduler.
        emails = {
            partner.id: partner.email_normalized
            for partner in self.env["res.partner"].sudo().browse(partner_ids)
        }
        addresses = {}
        for res_id, values in recipients.items():
            to = tools.email_normalize_all(values.get("email_to") or "")
            addresses[res_id] = (to and to[0]) or next(
                (
                    emails[pid]
                    for pid in values.get("partner_ids") or []
                    if emails.get(pid)
                ),
                False,
            )
        return addresses

    def _render_recipients(self, tasks):
        """``{res_id: values}`` of the email step's recipients for the
        records of ``tasks``, from its template's recipient fields alone
        (the body is not rendered), as the step renders them."""
        self.ensure_one()
        # The template is the flow's, rendered whoever runs the scheduler.
        template = self.mail_template_id.sudo()
        return template._generate_template(
            list(set(tasks.mapped("res_id"))), RECIPIENT_FIELDS
        )

    def _add_unsubscribe(self, tasks, values_list, addresses):
        """Give each marketing email an unsubscribe link (at the end of the
        sent body) and the ``List-Unsubscribe`` headers (RFC 8058), signed
        for its address and flow; return the tasks' column of addresses for
        ``_write_links``. Transactional flows get none of it."""
        self.ensure_one()
        if self.flow_id.transactional:
            return {}
        Task = self.env["automation.flow.task"]
        base_url = self.get_base_url()
        labels = self._unsubscribe_labels(tasks.mapped("res_id"))
        key = Task._signing_key()
        column = []
        for task, values in zip(tasks, values_list, strict=True):
            address = addresses.get(task.res_id) or None
            column.append(address)
            if not address:
                continue
            token = Task._unsubscribe_token(task.id, self.flow_id.id, address, key)
            url = f"{base_url}/automation_flow/unsubscribe/{task.id}/{token}"
            values["body_html"] = append_content_to_html(
                values.get("body_html") or "",
                Markup(
                    '<p style="font-size: 12px; color: #888888;">'
                    '<a href="%s" style="color: #888888;">%s</a></p>'
                )
                % (url, labels[task.res_id]),
                plaintext=False,
            )
            values["headers"] = repr(
                {
                    "List-Unsubscribe": f"<{url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                }
            )
        return {"recipient_email": column}

    def _unsubscribe_labels(self, res_ids):
        """``{res_id: the link's text}``, in the language the template writes
        each record's email in (its language, rendered per record, such as
        ``{{ object.lang }}``), else in the company's: one text per
        language."""
        template = self.mail_template_id.sudo()
        langs = template._render_lang(list(set(res_ids))) if template.lang else {}
        default = self.company_id.partner_id.lang or self.env.lang
        texts = {}
        labels = {}
        for res_id in res_ids:
            lang = langs.get(res_id) or default
            if lang not in texts:
                texts[lang] = self.with_context(lang=lang).env._("Unsubscribe")
            labels[res_id] = texts[lang]
        return labels


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    recipient_email = fields.Char(
        "Sent to",
        readonly=True,
        help="The normalized address the marketing email of the task went to: "
        "the contact caps count per address.",
    )

    @api.model
    def _consent_exclusions(self, addresses_by_flow):
        """The addresses that may not get marketing emails: ``{(flow id,
        address): Reason}``, in one query for the batch.

        :param addresses_by_flow: ``{flow id: {address, …}}``
        """
        pairs = [
            (flow_id, address)
            for flow_id, addresses in addresses_by_flow.items()
            for address in addresses
        ]
        if not pairs:
            return {}
        self.env["mail.blacklist"].flush_model()
        self.env["automation.flow.optout"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT asked.flow_id, asked.email,
                          EXISTS (SELECT FROM mail_blacklist blacklist
                                  WHERE blacklist.email = asked.email
                                    AND blacklist.active),
                          EXISTS (SELECT FROM automation_flow_optout optout
                                  WHERE optout.email = asked.email
                                    AND optout.flow_id = asked.flow_id)
                   FROM unnest(%(flows)s::int4[], %(emails)s::varchar[])
                        AS asked(flow_id, email)""",
                flows=[pair[0] for pair in pairs],
                emails=[pair[1] for pair in pairs],
            )
        )
        exclusions = {}
        for flow_id, address, blacklisted, opted_out in self.env.cr.fetchall():
            if blacklisted:
                exclusions[flow_id, address] = Reason("consent_blacklisted")
            elif opted_out:
                exclusions[flow_id, address] = Reason("consent_flow_optout")
        return exclusions

    # ------------------------------------------------------------------
    # Unsubscribing, from the link of the email
    # ------------------------------------------------------------------

    @api.model
    def _unsubscribe_token(self, task_id, flow_id, email, key=None):
        """The signature of an unsubscribe link: it binds the address and the
        flow (and the task whose email carried it, for the event), and the
        database (its secret and uuid: a copy refuses the original's).
        ``key``: ``_signing_key()``, read here when not given."""
        secret, database = key or self._signing_key()
        return signing.sign(
            secret, UNSUBSCRIBE_TOKEN_SCOPE, (database, task_id, flow_id, email)
        )

    @api.model
    def _from_unsubscribe_token(self, task_id, token):
        """The task ``task_id`` if ``token`` is the signature of its email's
        link, else nothing."""
        task = self.browse(task_id).exists()
        if not task or not task.recipient_email:
            return self.browse()
        expected = self._unsubscribe_token(
            task.id, task.flow_id.id, task.recipient_email
        )
        return task if tools.consteq(str(token or ""), expected) else self.browse()

    def _recipient_lang(self):
        """The language of the person the email went to: the contact of the
        record when it has this address, else a contact with this address,
        else the company's."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        partner = Partner
        if self.model == "res.partner":
            partner = Partner.browse(self.res_id).exists()
        if partner.email_normalized != self.recipient_email:
            partner = Partner.search(
                [("email_normalized", "=", self.recipient_email)], limit=1
            )
        return partner.lang or self.company_id.partner_id.lang or "en_US"

    def _unsubscribe(self, scope):
        """The person unsubscribes: from the task's flow (``FLOW_ONLY``) or
        from every mailing (``ALL_MAILINGS``: Odoo's blacklist). Recorded as
        the email's ``unsubscribed`` event. Asking again changes nothing."""
        self.ensure_one()
        email = self.recipient_email
        if scope == ALL_MAILINGS:
            self.env["mail.blacklist"]._add(
                email,
                message=self.env._(
                    "Unsubscribed from every mailing through the link of the flow %s.",
                    self.flow_id.name,
                ),
            )
        else:
            Optout = self.env["automation.flow.optout"]
            if not Optout.search_count(
                [("email", "=", email), ("flow_id", "=", self.flow_id.id)]
            ):
                Optout.create({"email": email, "flow_id": self.flow_id.id})
        self._record_event("unsubscribed")
