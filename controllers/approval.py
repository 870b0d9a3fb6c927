# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import http
from odoo.http import request

from ..models.automation_flow_step_approval import APPROVED, REJECTED


class AutomationFlowApprovalController(http.Controller):
    """The Approve / Reject links of the approval emails.

    The URL names the approval row and carries its signature
    (``approval._link_token``): only the approver's email holds it, so the
    link decides for them without logging in. A GET shows the decision with
    an optional comment; the POST of that page decides. A link that is
    forged, expired or already used decides nothing and says so; the
    approver can still decide in Odoo.
    """

    @http.route(
        "/automation_flow/approval/<int:approval_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        # The signed token is what authorizes the POST, not a session: the
        # approver may have none.
        csrf=False,
    )
    def approval_decide(self, approval_id, token, decision=None, comment=None, **kw):
        # The public visitor has no access to approvals: nothing is read
        # before the signature is checked.
        approval = (
            request.env["automation.flow.approval"]
            .sudo()
            ._from_link_token(approval_id, token)
        )
        status = approval._link_status()
        values = {"status": status, "approval": approval, "login_url": "/web/login"}
        if approval:
            # The page speaks the approver's language, whoever opens it.
            request.update_context(lang=approval.user_id.lang)
            # The signature proved the link is the approver's own.
            values.update(
                record_name=approval.record_name,
                step_name=approval.step_id.with_context(
                    lang=approval.user_id.lang
                ).name,
                login_url=approval._backend_url(),
            )
        if status != "valid":
            return request.render("automation_flow.approval_page", values)
        if decision not in (APPROVED, REJECTED):
            decision = APPROVED
        if request.httprequest.method == "POST":
            # Signed, not expired, still pending: decide as the approver.
            approval._decide(decision, (comment or "").strip())
            values.update(status="decided", decision=decision)
        else:
            values.update(decision=decision, action=request.httprequest.path)
        return request.render("automation_flow.approval_page", values)
