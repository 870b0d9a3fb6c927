# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import models

from ..reasons import Reason, field_label

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """Tell the flows' tasks whether their email left: ``sent`` or, when
        the SMTP server refused it, ``failed`` with the server's reason.

        Odoo calls this once a send attempt is over, whatever its outcome
        and before deleting auto-deleted mails.
        """
        self._automation_flow_track_delivery()
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def _automation_flow_track_delivery(self):
        # The queue runs for every mail; the tasks belong to their flow, not to
        # whoever sends the queue.
        tasks = (
            self.env["automation.flow.task"]
            .sudo()
            .search([("mail_mail_id", "in", self.ids)])
        )
        if not tasks:
            return
        try:
            # The mail already left (or failed): a problem here must not make
            # Odoo record a sent mail as failed, nor undo its state.
            with self.env.cr.savepoint():
                sent = tasks.filtered(lambda task: task.mail_mail_id.state == "sent")
                sent._on_event("sent")
                for mail, failed in (tasks - sent).grouped("mail_mail_id").items():
                    if mail.state == "exception":
                        failed._set_error(
                            Reason(
                                "email_not_sent",
                                reason=mail.failure_reason
                                or field_label(
                                    "mail.mail", "failure_type", mail.failure_type
                                ),
                            )
                        )
                        failed._on_event("failed")
        except Exception:  # noqa: BLE001
            # A warning, not an error: the mails' own state is right.
            _logger.warning(
                "Could not record the delivery of mails %s.", self.ids, exc_info=True
            )
