# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import api, models
from odoo.tools import SQL, config, split_every

from ..engine import smtp_errors
from ..reasons import Reason, field_label

_logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 100
# The context key under which ``_automation_flow_send`` collects the outcome
# of each mail of a chunk, recorded on the tasks once per chunk.
DELIVERY = "automation_flow_delivery"
# The failures after which Odoo still deletes an auto-deleted mail, as its
# ``_postprocess_sent_message`` does (no failure: sent).
DELETED_AFTER = (False, "mail_email_invalid", "mail_email_missing")


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
        once, sent by Odoo's ``send`` over one SMTP session per server (its
        outgoing server choice, bounce headers, states, failure reasons and
        chatter notifications), then the tasks record the chunk's outcome
        in one event per kind, and the chunk commits. A crash while a chunk
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
            # Odoo's loop reads each mail alone: fill the cache for all.
            for records in (chunk, chunk.mail_message_id, chunk.recipient_ids):
                records.fetch(
                    [
                        name
                        for name, field in records._fields.items()
                        if field.prefetch is True
                    ]
                )
            tasks = self._automation_flow_tasks(chunk.ids)
            # Odoo deletes an auto-deleted mail as soon as it is sent, which
            # empties the cache the next mail reads from: the chunk deletes
            # them together at its end instead.
            auto_deleted = chunk.filtered("auto_delete")
            auto_deleted.auto_delete = False
            delivery = DeliveryOutcomes()
            chunk.with_context(**{DELIVERY: delivery}).send()
            self._automation_flow_record_delivery(delivery.rows, tasks)
            done_ids = {
                mail_id
                for mail_id, _state, _reason, failure_type in delivery.rows
                if (failure_type or False) in DELETED_AFTER
            }
            done = auto_deleted.browse(done_ids) & auto_deleted
            (auto_deleted - done).auto_delete = True
            done.unlink()
            sent += len(chunk)
            if commit:
                # The chunk left: commit its states so that it never leaves
                # again.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        return sent

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
