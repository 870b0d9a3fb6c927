# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import smtplib
from collections import defaultdict

import psycopg2

from odoo import _, api, models
from odoo.tools import SQL, config, exception_to_unicode, split_every
from odoo.tools.mail import email_split_and_format

from ..engine import smtp_errors
from ..engine.envelope import session_sender
from ..reasons import Reason, field_label

_logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 100
# The context key under which ``_automation_flow_send`` collects the outcome
# of each mail of a chunk, recorded on the tasks once per chunk.
DELIVERY = "automation_flow_delivery"
# The failures whose reason Odoo's ``_send`` passes to
# ``_postprocess_sent_message`` (not those of invalid recipients).
FAILED_WITH_REASON = ("unknown", "mail_from_invalid", "mail_from_missing")


class DeliveryOutcomes:
    """The ``(mail id, state, failure reason, failure type)`` of the mails of
    a chunk, as Odoo's sending loop ends each of them. (Hashable by identity,
    as a value of the context must be.)"""

    def __init__(self):
        self.rows = []


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Tell the flows' tasks whether their email left: ``sent`` or, when
        the SMTP server refused it, ``failed`` with the server's reason.

        Odoo calls this once a send attempt is over, whatever its outcome
        and before deleting auto-deleted mails: for one mail at a time from
        its mail queue, whose outcome is recorded at once, or for the mails
        of a chunk of ``_automation_flow_send``, recorded with the chunk.
        """
        outcomes = [
            (mail.id, mail.state, mail.failure_reason, mail.failure_type)
            for mail in self
        ]
        if delivery := self.env.context.get(DELIVERY):
            delivery.rows += outcomes
        else:
            self._automation_flow_record_delivery(outcomes)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    @api.model
    def _automation_flow_send(self, mail_ids, commit=False):
        """Send the outgoing mails among ``mail_ids`` now, chunk by chunk.

        Each chunk is one transaction: its mails are locked (a mail that
        Odoo's mail queue is sending is skipped and left to it), read at
        once, sent over one SMTP session per server
        (``_automation_flow_send_chunk``), then the tasks record the chunk's
        outcome in one event per kind, and the chunk commits. A crash while a chunk
        is in flight rolls it back: its mails are outgoing again and sent
        by the next run, so at most a chunk (``automation_flow.
        mail_chunk_size``, 100) is sent twice, and none is lost.

        :param commit: commit after each chunk (the scheduler's cron)
        """
        chunk_size = self.env["automation.flow.task"]._get_param(
            "mail_chunk_size", DEFAULT_CHUNK_SIZE
        )
        sent = 0
        for chunk_ids in split_every(chunk_size, mail_ids):
            self.env.cr.execute(
                SQL(
                    """SELECT id FROM mail_mail
                       WHERE id = ANY(%s) AND state = 'outgoing'
                       ORDER BY id FOR UPDATE SKIP LOCKED""",
                    list(chunk_ids),
                )
            )
            chunk = self.browse([row[0] for row in self.env.cr.fetchall()])
            if not chunk:
                continue
            # Each mail is read alone while it is sent: fill the cache for all.
            for records in (chunk, chunk.mail_message_id, chunk.recipient_ids):
                records.fetch(
                    [
                        name
                        for name, field in records._fields.items()
                        if field.prefetch is True
                    ]
                )
            tasks = self._automation_flow_tasks(chunk.ids)
            delivery = DeliveryOutcomes()
            chunk.with_context(**{DELIVERY: delivery})._automation_flow_send_chunk()
            self._automation_flow_record_delivery(delivery.rows, tasks)
            sent += len(chunk)
            if commit:
                # The chunk left: commit its states so that it never leaves
                # again.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        return sent

    def _automation_flow_send_chunk(self):
        """Send these mails as Odoo's ``send`` does, without its per-mail
        statements.

        Odoo's ``send`` / ``_send`` pick the outgoing server, build each
        message (``_prepare_outgoing_list``, ``build_email``: bounce and
        return-path headers, attachments, the flows' List-Unsubscribe
        headers) and send it, but write each mail twice and search its
        notifications twice: about 20 statements per mail, and a cache
        emptied by each write that the next mail reads again. Here the same
        steps run per mail, and the outcome is written once per kind for
        the chunk: one ``write`` and one ``_postprocess_sent_message`` for
        the mails sent, one of each per failure. The chunk is one
        transaction whose mails are locked (``_automation_flow_send``): no
        write at the end can wait for another, and a crash rolls the whole
        chunk back to outgoing, so Odoo's "exception" mark before each
        mail is not needed.
        """
        IrMailServer = self.env["ir.mail_server"]
        with_unfollow_link = self.filtered(
            lambda mail: mail.body_html and "/mail/unfollow" in mail.body_html
        )
        follower_status = (
            self.env["mail.followers"]._get_mail_recipients_follower_status(
                with_unfollow_link.ids
            )
            if with_unfollow_link
            else None
        )
        # {(state, failure reason, failure type): ([mail ids], [partner ids
        # reached])}
        outcomes = defaultdict(lambda: ([], []))
        for (
            server_id,
            alias_domain_id,
            smtp_from,
            mail_ids,
        ) in self._split_by_mail_configuration():
            try:
                smtp_session = IrMailServer.connect(
                    mail_server_id=server_id, smtp_from=smtp_from
                )
            except Exception as error:  # noqa: BLE001 (as Odoo's send)
                reason = exception_to_unicode(error)
                outcomes["exception", reason, "mail_smtp"][0].extend(mail_ids)
                continue
            session_from = smtp_session.smtp_from
            alias_domain = self.env["mail.alias.domain"].sudo().browse(alias_domain_id)
            try:
                for mail in self.browse(mail_ids):
                    state, reason, failure_type, success_pids = (
                        mail._automation_flow_send_one(
                            smtp_session,
                            session_from,
                            IrMailServer.browse(server_id),
                            alias_domain,
                            follower_status,
                        )
                    )
                    outcome = outcomes[state, reason, failure_type]
                    outcome[0].append(mail.id)
                    outcome[1].extend(success_pids)
            finally:
                smtp_session.quit()
        for (state, reason, failure_type), (mail_ids, success_pids) in outcomes.items():
            values = {"state": state, "failure_reason": reason}
            if state == "exception":
                values["failure_type"] = failure_type
            mails = self.browse(mail_ids)
            mails.write(values)
            mails._postprocess_sent_message(
                success_pids=success_pids,
                # Odoo's ``_send`` names no reason when no recipient was valid.
                failure_reason=reason if failure_type in FAILED_WITH_REASON else False,
                failure_type=failure_type,
            )

    def _automation_flow_send_one(
        self, smtp_session, session_from, mail_server, alias_domain, follower_status
    ):
        """Send this mail over ``smtp_session`` (opened for ``session_from``)
        as Odoo's ``_send`` does; return its outcome: ``(state, failure
        reason, failure type, ids of the partners it reached)``. Errors of
        the database or of the SMTP session stop the chunk, as they stop
        Odoo's loop."""
        self.ensure_one()
        IrMailServer = self.env["ir.mail_server"]
        success_pids, failure_type, sent = [], None, False
        try:
            emails_from = email_split_and_format(self.email_from)
            email_from = emails_from[0] if emails_from else self.email_from
            for email in self._prepare_outgoing_list(
                mail_server=mail_server or self.mail_server_id,
                recipients_follower_status=follower_status,
            ):
                context = {"send_validated_to": email.pop("email_to_normalized", [])}
                if alias_domain:
                    context.update(
                        domain_notifications_email=alias_domain.default_from_email,
                        domain_bounce_address=email["headers"].get("Return-Path")
                        or alias_domain.bounce_email,
                    )
                Sender = IrMailServer.with_context(**context)
                message = Sender.build_email(
                    email_from=email_from,
                    email_to=email["email_to"],
                    subject=email["subject"],
                    body=email["body"],
                    body_alternative=email["body_alternative"],
                    email_cc=email["email_cc"],
                    reply_to=email["reply_to"],
                    attachments=email["attachments"],
                    message_id=email["message_id"],
                    references=email["references"],
                    object_id=email["object_id"],
                    subtype="html",
                    subtype_alternative="plain",
                    headers=email["headers"],
                )
                partner_id = email.pop("partner_id", None)
                # Spares ``send_email`` rewriting a From header that already
                # names the session's sender (engine/envelope.py).
                smtp_session.smtp_from = session_sender(
                    session_from, message["From"] and str(message["From"])
                )
                try:
                    Sender.send_email(
                        message,
                        mail_server_id=self.mail_server_id.id,
                        smtp_session=smtp_session,
                    )
                except AssertionError as error:
                    if str(error) != IrMailServer.NO_VALID_RECIPIENT:
                        raise
                    # Odoo's ``_send``: the mail's other recipients still get it.
                    if email.get("email_to") or failure_type == "mail_email_invalid":
                        failure_type = "mail_email_invalid"
                    else:
                        failure_type = "mail_email_missing"
                    continue
                sent = True
                if partner_id:
                    success_pids.append(partner_id)
        except (MemoryError, psycopg2.Error, smtplib.SMTPServerDisconnected):
            raise
        except Exception as error:  # noqa: BLE001 (one mail never fails its chunk)
            reason, failure_type = self._automation_flow_failure(error)
            _logger.exception("failed sending mail (id: %s) due to %s", self.id, reason)
            return "exception", reason, failure_type, success_pids
        if sent:
            return "sent", False, failure_type, success_pids
        # Odoo's ``_send`` leaves this on a mail none of whose recipients
        # was valid.
        reason = _(
            "Error without exception. Probably due to sending an email without "
            "computed recipients."
        )
        return "exception", reason, failure_type, success_pids

    @api.model
    def _automation_flow_failure(self, error):
        """``(failure reason, failure type)`` of a mail whose sending raised
        ``error``, as Odoo's ``_send`` names them."""
        IrMailServer = self.env["ir.mail_server"]
        reason = failure_type = None
        if isinstance(error, AssertionError):
            code = error.args[0] if error.args else None
            if len(error.args) > 1 and code == IrMailServer.NO_VALID_FROM:
                reason = str(error.args[1])
            else:
                reason = code
            if code == IrMailServer.NO_VALID_FROM:
                failure_type = "mail_from_invalid"
            elif code in (IrMailServer.NO_FOUND_FROM, IrMailServer.NO_FOUND_SMTP_FROM):
                failure_type = "mail_from_missing"
        return reason or exception_to_unicode(error), failure_type or "unknown"

    @api.model
    def _automation_flow_tasks(self, mail_ids):
        """The tasks of these mails: ``{mail id: tasks}``."""
        # Mails go out for every module; the tasks belong to their flow, not
        # to whoever sends the queue.
        tasks = (
            self.env["automation.flow.task"]
            .sudo()
            .search([("mail_mail_id", "in", mail_ids)])
        )
        return tasks.grouped(lambda task: task.mail_mail_id.id)

    @api.model
    def _automation_flow_record_delivery(self, outcomes, tasks_of=None):
        """Record on their tasks the outcome of mails: ``[(mail id, state,
        failure reason, failure type)]``, one ``sent`` event for the mails
        sent and one ``failed`` per failure reason.

        :param tasks_of: the tasks of the mails (``_automation_flow_tasks``)
        """
        if not outcomes:
            return
        if tasks_of is None:
            tasks_of = self._automation_flow_tasks([row[0] for row in outcomes])
        if not tasks_of:
            return
        Task = self.env["automation.flow.task"].sudo()
        sent, failed = Task, {}
        for mail_id, state, reason, failure_type in outcomes:
            if state == "sent":
                sent |= tasks_of.get(mail_id, Task)
            elif state == "exception" and mail_id in tasks_of:
                key = (reason, failure_type)
                failed.setdefault(key, {})[mail_id] = tasks_of[mail_id]
        try:
            # The mails already left (or failed): a problem here must not make
            # Odoo record a sent mail as failed, nor undo its state.
            with self.env.cr.savepoint():
                sent._on_event("sent")
                for (reason, failure_type), tasks_by_mail in failed.items():
                    for failure, tasks in self._automation_flow_failures(
                        reason, failure_type, tasks_by_mail
                    ):
                        tasks._set_error(failure)
                        tasks._on_event("failed")
        except Exception:  # noqa: BLE001
            # A warning, not an error: the mails' own state is right.
            _logger.warning(
                "Could not record the delivery of mails %s.",
                [row[0] for row in outcomes],
                exc_info=True,
            )

    @api.model
    def _automation_flow_failures(self, reason, failure_type, tasks_by_mail):
        """What the tasks of mails that failed for the same ``reason`` tell
        their reader: ``[(Reason, tasks)]``, one per outgoing mail server
        when the failure is one of the server (``engine/smtp_errors.py``),
        saying what to check; else Odoo's text as it is.

        :param tasks_by_mail: ``{mail id: tasks}``
        """
        Task = self.env["automation.flow.task"].sudo()
        tasks = Task.union(*tasks_by_mail.values())
        kind = smtp_errors.kind(reason)
        if not kind:
            return [
                (
                    Reason(
                        "email_not_sent",
                        reason=reason
                        or field_label("mail.mail", "failure_type", failure_type),
                    ),
                    tasks,
                )
            ]
        by_server = {}
        # The mails' servers are settings, read whoever sends the queue.
        for mail in self.sudo().browse(list(tasks_by_mail)).exists():
            server = mail._automation_flow_server_name()
            by_server[server] = by_server.get(server, Task) | tasks_by_mail[mail.id]
        detail = smtp_errors.one_line(reason)
        return [
            (Reason(f"smtp_{kind}", server=server, detail=detail), server_tasks)
            for server, server_tasks in by_server.items()
        ] or [(Reason(f"smtp_{kind}", server="", detail=detail), tasks)]

    def _automation_flow_server_name(self):
        """``host:port`` of the outgoing mail server that sends this mail, as
        Odoo's ``send`` chooses it: the mail's own, else the one matching its
        sender, else the command line's."""
        self.ensure_one()
        server = self.mail_server_id
        if not server:
            server, _email_from = self.env["ir.mail_server"]._find_mail_server(
                self.email_from
            )
        if server:
            return f"{server.smtp_host}:{server.smtp_port}"
        return f"{config.get('smtp_server')}:{config.get('smtp_port', 25)}"
