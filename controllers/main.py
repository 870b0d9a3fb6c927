# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import Response, request

from ..models.automation_flow_task import MOVE_LATER

# A transparent 1x1 GIF.
BLANK_GIF = base64.b64decode(
    b"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
)


class AutomationFlowController(http.Controller):
    """Opens and clicks of the emails sent by flows.

    Both URLs carry the task and its signature (``task._tracking_token``): a
    wrong one records nothing, yet the visitor still gets the image or the
    page, so that forging tokens teaches nothing. Requests of bots record
    nothing either. Recording never fails the request
    (``task._record_event``).
    """

    def _tracked_task(self, tasks, task_id, token):
        """The task whose email a person opened or clicked, from ``tasks``
        (the task model as the superuser); nothing for a wrong signature or
        a bot."""
        # Link scanners and crawlers are not the recipient: Odoo's own
        # short-link route skips them with the same test (ir.http.is_a_bot),
        # made here on the header itself: the parse of the whole user agent
        # that is_a_bot reads it through costs 2 % of an open.
        user_agent = request.httprequest.headers.get("User-Agent", "").lower()
        if any(bot in user_agent for bot in request.env["ir.http"].bots):
            return tasks.browse()
        return tasks._from_tracking_token(task_id, token)

    @http.route(
        "/automation_flow/open/<int:task_id>/<string:token>/blank.gif",
        type="http",
        # Not "public": Odoo would look the public user up (a query) on
        # every open; the visitor is the public user all the same, below.
        auth="none",
        # Routes of auth="none" are read-only by default; an open writes.
        readonly=False,
        methods=["GET"],
        # Every email open or click would otherwise create a session.
        save_session=False,
    )
    def track_open(self, task_id, token, **kwargs):
        # The visitor is the public user, its id from the cached external id
        # as Odoo's own ir.http._get_public_users() reads it (no query). The
        # public user has no access to tasks; the signature proves the
        # request comes from the task's own email. One environment for both:
        # each new one scans those of the transaction, 3 % of an open.
        public_user_id = request.env["ir.model.data"]._xmlid_to_res_id(
            "base.public_user"
        )
        tasks = request.env(user=public_user_id, su=True)["automation.flow.task"]
        # The open is the only change of the request's transaction: no
        # savepoint is needed to undo it alone. Its children move at the
        # scheduler's next run, as of this open: the request writes a stamp
        # and a row, not the move PostgreSQL would plan anew for each open.
        self._tracked_task(tasks, task_id, token)._record_event(
            "opened", savepoint=False, move=MOVE_LATER
        )
        return Response(
            BLANK_GIF,
            mimetype="image/gif",
            headers=[("Cache-Control", "no-store, max-age=0")],
        )

    @http.route(
        "/r/<string:code>/af/<int:task_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        # Every email open or click would otherwise create a session.
        save_session=False,
    )
    def track_click(self, code, task_id, token, **kwargs):
        # The public visitor has no access to tasks; the signature proves the
        # request comes from the task's own email.
        tasks = request.env["automation.flow.task"].sudo()
        task = self._tracked_task(tasks, task_id, token).exists()
        if task:
            # Clicks are public by nature (link_tracker's own route records
            # them for anyone); this one names the task.
            click = (
                request.env["link.tracker.click"]
                .sudo()
                .add_click(
                    code,
                    ip=request.httprequest.remote_addr,
                    country_code=request.geoip.country_code,
                    automation_flow_task_id=task.id,
                )
            )
            if click:
                task._record_event("clicked")
        url = request.env["link.tracker"].get_url_from_code(code)
        if not url:
            raise NotFound()
        # Not a permanent redirect: a browser would not come back, and the
        # next click of the same person would not count.
        return request.redirect(url, code=302, local=False)
