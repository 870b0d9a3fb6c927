# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import http
from odoo.http import request

from ..models.automation_flow_consent import ALL_MAILINGS, FLOW_ONLY


class AutomationFlowUnsubscribeController(http.Controller):
    """The unsubscribe link of the emails of marketing flows.

    The URL names the task whose email carried it and its signature
    (``task._unsubscribe_token``), which binds the address and the flow. A
    GET shows the choice (this flow only, or every mailing) in the
    recipient's language and changes nothing, so that link scanners
    unsubscribe no one; the POST of that page unsubscribes. A POST of a
    mail provider's one-click button (RFC 8058, body
    ``List-Unsubscribe=One-Click``) unsubscribes from the flow. A forged or
    changed link unsubscribes no one and says so.
    """

    @http.route(
        "/automation_flow/unsubscribe/<int:task_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        # The signed token authorizes the POST, not a session: mail
        # providers post the one-click unsubscribe without one.
        csrf=False,
        save_session=False,
    )
    def unsubscribe(self, task_id, token, choice=None, **kwargs):
        # The public visitor has no access to tasks: nothing is read before
        # the signature is checked, and then only the task it signs.
        task = (
            request.env["automation.flow.task"]
            .sudo()
            ._from_unsubscribe_token(task_id, token)
        )
        if not task:
            return request.render(
                "automation_flow.unsubscribe_page", {"status": "invalid"}, status=403
            )
        # The page speaks the recipient's language, whoever opens it.
        lang = task._recipient_lang()
        request.update_context(lang=lang)
        values = {
            "status": "choose",
            "email": task.recipient_email,
            "flow_name": task.flow_id.with_context(lang=lang).name,
            "action": request.httprequest.path,
        }
        if request.httprequest.method == "POST":
            scope = ALL_MAILINGS if choice == ALL_MAILINGS else FLOW_ONLY
            task.with_context(lang=lang)._unsubscribe(scope)
            values.update(status="done", scope=scope)
        return request.render("automation_flow.unsubscribe_page", values)
