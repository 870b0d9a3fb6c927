# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools.mail import mail_header_msgid_re

# As the gateway's own routing: the newest references are enough to find the
# email replied to, and a long References header must not make a huge query.
MAX_REFERENCES = 32


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        """An incoming email routed as a reply to a flow's email marks its
        task replied (hence opened). Bounces have no route: they are handled
        by ``_routing_handle_bounce``."""
        if routes:
            headers = (message_dict.get("references"), message_dict.get("in_reply_to"))
            references = mail_header_msgid_re.findall(" ".join(filter(None, headers)))
            if references:
                self._automation_flow_tasks(references[-MAX_REFERENCES:])._record_event(
                    "replied"
                )
        return super()._message_route_process(message, message_dict, routes)

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        """A bounce of a flow's email marks its task bounced."""
        result = super()._routing_handle_bounce(email_message, message_dict)
        bounced_msg_ids = message_dict.get("bounced_msg_ids")
        if bounced_msg_ids:
            self._automation_flow_tasks(bounced_msg_ids)._record_event("bounced")
        return result

    @api.model
    def _automation_flow_tasks(self, message_ids):
        """Tasks whose email has one of these Message-Ids (indexed lookup)."""
        # The gateway runs for every incoming email; the tasks belong to their
        # flow, not to the user the gateway runs as.
        return (
            self.env["automation.flow.task"]
            .sudo()
            .search([("email_message_id", "in", [mid.strip() for mid in message_ids])])
        )
