# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The webhook step: POST chosen fields of the record, signed, to a URL.

The first step whose effect leaves the database. Its tasks are marked
*running* in the scheduler's batch, which commits, and only then called, one
batch at a time outside the batch's transaction (``task._deliver_webhooks``);
a task found running after a crash is called again with the same
idempotency key (``task._recover_interrupted_webhooks``). See DESIGN.md,
Webhooks.
"""

import logging
import secrets
import time
from urllib.parse import urlsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..engine import states, triggers, webhook
from ..engine.triggers import StepType
from ..reasons import Reason, reason_values
from ..webhook_transport import RefusedAddress, TimedOut, checked_session, post
from .automation_flow_task import SCHEDULER_RUN

_logger = logging.getLogger(__name__)

MANAGER = "automation_flow.group_automation_flow_manager"
DEFAULT_TIMEOUT = 10
MAX_TIMEOUT = 120
# A running task is taken for interrupted once its call has had its timeout
# and this many seconds more (the time to record the batch's answers).
DEFAULT_RECOVERY_MARGIN = 300
# The internal networks webhooks may call besides public addresses (set by
# administrators: system parameters need the Settings rights).
ALLOWED_NETWORKS_PARAM = "automation_flow.webhook_allowed_networks"
# Field types a payload cannot carry (files) or that hold no value.
UNSENT_TYPES = ["binary", "one2many", "properties", "properties_definition"]
DELIVERED = "delivered"
FAILED = "failed"
# The task columns the answer of a call is written to, in one statement.
RESULT_COLUMNS = (
    "state",
    "done_at",
    "scheduled_at",
    "attempt",
    "outcome",
    "reason_code",
    "reason_params",
    "webhook_status",
    "webhook_response",
)


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("webhook", "Webhook")], ondelete={"webhook": "cascade"}
    )
    webhook_url = fields.Char(
        "URL",
        help="Where the step POSTs the record's fields as JSON, e.g. "
        "https://example.com/hooks/odoo. http:// or https:// only.",
    )
    webhook_field_ids = fields.Many2many(
        "ir.model.fields",
        "automation_flow_step_webhook_field_rel",
        "step_id",
        "field_id",
        string="Fields sent",
        domain=f"[('model_id', '=', model_id), ('ttype', 'not in', {UNSENT_TYPES})]",
        help="The fields of the record the call carries, besides its id and "
        "name. A many2one is sent as [id, name], dates in ISO 8601.",
    )
    webhook_timeout = fields.Integer(
        "Timeout (seconds)",
        required=True,
        default=DEFAULT_TIMEOUT,
        help="How long the whole call may take, from connecting to the end of "
        "the receiver's answer: a receiver still answering then is cut off. A "
        "call without a full answer is tried again later with the same "
        "idempotency key.",
    )

    @api.model
    def _get_step_types(self):
        """A webhook ends delivered or failed: "after the previous step"
        follows a delivered call, *Delivered* and *Failed* each one outcome
        (a failed call has no "after" step)."""
        return {
            **super()._get_step_types(),
            "webhook": StepType(
                icon="fa-plug",
                triggers=[
                    triggers.Trigger(
                        "webhook_delivered",
                        triggers.BRANCH,
                        label=_("Webhook delivered"),
                        phrases=(
                            _("When the webhook is delivered"),
                            _("%(delay)s after the webhook is delivered"),
                        ),
                        outcome=DELIVERED,
                    ),
                    triggers.Trigger(
                        "webhook_failed",
                        triggers.BRANCH,
                        label=_("Webhook failed"),
                        phrases=(
                            _("When the webhook failed for good"),
                            _("%(delay)s after the webhook failed for good"),
                        ),
                        outcome=FAILED,
                    ),
                ],
            ),
        }

    def _designer_summary(self):
        if self.step_type != "webhook":
            return super()._designer_summary()
        return _("POST to %s", self.webhook_url or "…")

    def _retry_pattern(self):
        """Calls back off, with jitter so that a receiver coming back is not
        hit by every task at the same second."""
        if self.step_type != "webhook":
            return super()._retry_pattern()
        return {1: (30, 90), 2: (120, 300), 3: (600, 1200), 4: (1800, 3600)}

    @api.constrains("step_type", "webhook_url", "webhook_timeout")
    def _check_webhook(self):
        for step in self.filtered(lambda s: s.step_type == "webhook"):
            url = (step.webhook_url or "").strip()
            parts = urlsplit(url) if url and not any(c.isspace() for c in url) else None
            if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(
                    _(
                        "The URL of the webhook step %(step)s must start with "
                        "http:// or https:// and name a host, without spaces, "
                        "e.g. https://example.com/hooks/odoo (got: %(url)s).",
                        step=step.name,
                        url=url or _("nothing"),
                    )
                )
            address = webhook.literal_address(parts.hostname)
            if address and not webhook.callable_address(
                address, self._webhook_allowed_networks()
            ):
                raise ValidationError(
                    _(
                        "The webhook step %(step)s calls %(host)s, an address "
                        "of this server or of a private network: webhooks "
                        "only call public addresses. Use the receiver's public "
                        "URL, or ask an administrator to allow this network in "
                        "the system parameter %(param)s.",
                        step=step.name,
                        host=parts.hostname,
                        param=ALLOWED_NETWORKS_PARAM,
                    )
                )
            if not 1 <= step.webhook_timeout <= MAX_TIMEOUT:
                raise ValidationError(
                    _(
                        "The timeout of the webhook step %(step)s must be "
                        "between 1 and %(max)s seconds.",
                        step=step.name,
                        max=MAX_TIMEOUT,
                    )
                )

    @api.model
    def _webhook_allowed_networks(self):
        """The internal networks an administrator lets webhooks call."""
        # sudo: system parameters are read by administrators only; this one
        # holds no secret and every webhook call obeys it.
        value = self.env["ir.config_parameter"].sudo().get_param(ALLOWED_NETWORKS_PARAM)
        try:
            return webhook.allowed_networks(value)
        except ValueError:
            # Written around its check (SQL, an import): allow no more.
            _logger.warning(
                "Ignored the system parameter %s: %r is not an address or a network.",
                ALLOWED_NETWORKS_PARAM,
                value,
            )
            return []

    @api.constrains("step_type", "webhook_field_ids", "flow_id")
    def _check_webhook_fields(self):
        for step in self.filtered(lambda s: s.step_type == "webhook"):
            fields_sent = step.webhook_field_ids
            foreign = fields_sent.filtered(lambda f, s=step: f.model_id != s.model_id)
            if foreign:
                raise ValidationError(
                    _(
                        "The fields %(fields)s sent by the step %(step)s are not "
                        "fields of %(model)s: choose fields of the flow's model.",
                        fields=", ".join(foreign.mapped("field_description")),
                        step=step.name,
                        model=step.model_id.name,
                    )
                )
            unsent = fields_sent.filtered(lambda f: f.ttype in UNSENT_TYPES)
            if unsent:
                raise ValidationError(
                    _(
                        "The fields %(fields)s of the step %(step)s cannot be "
                        "sent (files and one2many lists): remove them.",
                        fields=", ".join(unsent.mapped("field_description")),
                        step=step.name,
                    )
                )
            # A webhook sends what the flow's responsible may read, and whoever
            # configures it may not send fields hidden from them.
            Model = step.env[step.model]
            for env in (step.env, step.env(user=step.flow_id.user_id, su=False)):
                hidden = fields_sent.filtered(
                    lambda f, e=env, m=Model: (
                        f.name not in m._fields
                        or not m._fields[f.name].is_accessible(e)
                    )
                )
                if hidden:
                    raise ValidationError(
                        _(
                            "The fields %(fields)s of the step %(step)s are not "
                            "readable by %(user)s: a webhook may only send "
                            "fields both you and the flow's responsible can "
                            "read. Remove them.",
                            fields=", ".join(hidden.mapped("field_description")),
                            step=step.name,
                            user=env.user.name,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps._ensure_webhook_secrets()
        return steps

    def write(self, vals):
        result = super().write(vals)
        if "step_type" in vals or "flow_id" in vals:
            self._ensure_webhook_secrets()
        return result

    def _ensure_webhook_secrets(self):
        """The flow of a webhook step gets its secret as soon as it has one:
        its manager sets the receiver up before the first call."""
        flows = self.filtered(lambda s: s.step_type == "webhook").flow_id
        # The secret is the managers' field; steps are created by managers,
        # or by data files and code as any user: the engine writes it.
        flows.sudo()._ensure_webhook_secrets()

    # ------------------------------------------------------------------
    # Execution
    # ------------------------------------------------------------------

    def _execute_webhook(self, tasks):
        """Mark the tasks *running* in one statement; the scheduler commits
        the batch, then calls (``task._deliver_webhooks``)."""
        self.ensure_one()
        tasks.flush_recordset()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_task
                   SET state = %(running)s, webhook_called_at = %(now)s,
                       webhook_status = NULL, webhook_response = NULL,
                       outcome = NULL
                   WHERE id = ANY(%(ids)s) AND state = %(scheduled)s""",
                running=states.TASK_RUNNING,
                scheduled=states.TASK_SCHEDULED,
                now=now,
                ids=tasks.ids,
            )
        )
        tasks.invalidate_recordset(
            ["state", "webhook_called_at", "webhook_status", "webhook_response"]
            + ["outcome"]
        )

    def _webhook_payloads(self, tasks):
        """The payload of each task, ``{task id: dict}``: one read of the
        chosen fields for the batch, as the flow's responsible (the fields
        were checked readable by them)."""
        self.ensure_one()
        flow = self.flow_id
        names = self.webhook_field_ids.mapped("name")
        Model = flow._responsible_model()
        rows = {
            row["id"]: row
            for row in Model.browse(sorted(set(tasks.mapped("res_id")))).read(
                ["display_name", *names]
            )
        }
        field_types = {name: Model._fields[name].type for name in names}
        payloads = {}
        for task in tasks:
            row = rows[task.res_id]
            payloads[task.id] = {
                "flow": {"id": flow.id, "name": flow.name},
                "step": {"id": self.id, "name": self.name},
                "task": {"id": task.id, "attempt": task.attempt + 1},
                "model": self.model,
                "record": {"id": task.res_id, "display_name": row["display_name"]},
                "values": {
                    name: webhook.json_value(row[name], field_types[name])
                    for name in names
                },
            }
        return payloads

    def _call_webhook(self, session, data, key, secret):
        """POST ``data`` once; return ``(verdict, status, response, reason,
        retry seconds)`` (``engine/webhook.py``). Never raises for the
        network: no answer is a verdict too. The call ends within the
        step's timeout, whatever the receiver does (``webhook_transport``)."""
        self.ensure_one()
        headers = webhook.headers(secret, data, key, time.time())
        try:
            response, start = post(
                session, self.webhook_url, data, headers, self.webhook_timeout
            )
        except RefusedAddress as refused:
            reason = Reason(
                "webhook_internal_address",
                host=refused.host,
                address=refused.address,
                param=ALLOWED_NETWORKS_PARAM,
            )
            return webhook.ERROR, None, "", reason, None
        except TimedOut as timed_out:
            if timed_out.status is None:
                reason = Reason("webhook_no_answer", timeout=self.webhook_timeout)
            else:
                reason = Reason(
                    "webhook_answer_cut_off",
                    status=timed_out.status,
                    timeout=self.webhook_timeout,
                )
            return webhook.RETRY, None, "", reason, None
        except requests.RequestException as error:
            text = webhook.excerpt(str(error))
            return (
                webhook.RETRY,
                None,
                text,
                Reason("webhook_unreachable", error=text),
                None,
            )
        status = response.status_code
        text = webhook.excerpt(start)
        verdict = webhook.verdict(status)
        shown = text or response.reason or ""
        if verdict == webhook.DONE:
            reason = Reason("webhook_delivered", status=status)
        elif 300 <= status < 400:
            reason = Reason(
                "webhook_redirected",
                status=status,
                location=response.headers.get("Location", ""),
            )
        elif verdict == webhook.ERROR:
            reason = Reason("webhook_refused", status=status, response=shown)
        else:
            reason = Reason("webhook_server_error", status=status, response=shown)
        seconds = webhook.retry_after(response.headers.get("Retry-After"))
        return verdict, status, text, reason, seconds


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    webhook_called_at = fields.Datetime(
        "Called on",
        readonly=True,
        help="When the webhook was last called (marked before the call).",
    )
    webhook_status = fields.Integer(
        "Response code",
        readonly=True,
        aggregator=False,
        help="The HTTP status of the receiver's last answer; empty when it did "
        "not answer.",
    )
    webhook_response = fields.Char(
        "Response",
        readonly=True,
        help="The start of the receiver's last answer, or why there was none.",
    )
    webhook_idempotency_key = fields.Char(
        "Idempotency key",
        compute="_compute_webhook_idempotency_key",
        help="Sent with every call of this task (retries included) in the "
        "Idempotency-Key header: the receiver acts once per key.",
    )

    def init(self):
        result = super().init()
        # The recovery sweep of each scheduler run reads the running tasks.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_task_running_idx
               ON automation_flow_task (webhook_called_at) WHERE state = 'running'"""
        )
        return result

    @api.depends("step_type")
    def _compute_webhook_idempotency_key(self):
        database = self._database_uuid()
        for task in self:
            task.webhook_idempotency_key = (
                webhook.idempotency_key(database, task.id)
                if task.step_type == "webhook" and task.id
                else False
            )

    def _database_uuid(self):
        # System parameters are readable by administrators only; the uuid
        # names this database in the keys, which the receiver sees anyway.
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _execute_step_tasks(self, step):
        """A webhook is called only by the scheduler, whose batch commits the
        mark before the call: run now or a test leaves it due now, and the
        scheduler runs it at once."""
        if step.step_type == "webhook" and not self.env.context.get(SCHEDULER_RUN):
            self._scheduler_cron()._trigger()
            return
        return super()._execute_step_tasks(step)

    # ------------------------------------------------------------------
    # Calls, outside the batch's transaction
    # ------------------------------------------------------------------

    def _deliver_webhooks(self, commit=False):
        """Call the webhooks of these tasks (a batch the scheduler ran and
        committed): lock those still running (``SKIP LOCKED``: a task
        another worker calls is left to it), call them one after the other
        over one HTTP session, record every answer in one statement, create
        the next steps' tasks, commit.

        Locks are held during the calls: the recovery sweep of another
        worker skips them. A crash during the calls leaves the tasks
        running: the sweep calls them again, with the same keys.

        :param commit: commit the answers (the scheduler's cron)
        """
        steps = self.step_id.filtered(lambda step: step.step_type == "webhook")
        if not steps:
            return
        candidates = self.filtered(lambda task: task.step_id in steps)
        try:
            self.env.cr.execute(
                SQL(
                    """SELECT id FROM automation_flow_task
                       WHERE id = ANY(%s) AND state = %s
                       ORDER BY id FOR UPDATE SKIP LOCKED""",
                    candidates.ids,
                    states.TASK_RUNNING,
                )
            )
            tasks = self.browse([row[0] for row in self.env.cr.fetchall()])
            tasks._record_webhook_answers(tasks._call_webhooks())
        except Exception:
            if not commit:
                raise
            # The tasks stay running: the recovery sweep calls them again,
            # with their keys, once their time is out.
            _logger.exception(
                "The webhook answers of tasks %s were not recorded.", candidates.ids
            )
            self.env.cr.rollback()
            return
        if commit:
            # The answers are in: commit so that no call is made again.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _call_webhooks(self):
        """Call each task once; return ``{task: answer}`` (see
        ``step._call_webhook``)."""
        answers = {}
        database = self._database_uuid()
        networks = self.env["automation.flow.step"]._webhook_allowed_networks()
        with checked_session(networks) as session:
            for step, tasks in self.grouped("step_id").items():
                try:
                    # The engine signs with the flow's secret, a managers'
                    # field, whoever runs the scheduler.
                    flow = step.flow_id.sudo()
                    flow._ensure_webhook_secrets()
                    secret = flow.webhook_secret
                    payloads = step._webhook_payloads(tasks)
                except (AccessError, ValidationError) as error:
                    # Nothing was sent: the configuration is to fix.
                    reason = Reason("webhook_failed", error=str(error))
                    answers.update(
                        dict.fromkeys(tasks, (webhook.ERROR, None, "", reason, None))
                    )
                    continue
                for task in tasks:
                    data = webhook.body(payloads[task.id])
                    key = webhook.idempotency_key(database, task.id)
                    answers[task] = step._call_webhook(session, data, key, secret)
        return answers

    def _record_webhook_answers(self, answers):
        """Write each task's answer and move it on, in one statement for the
        batch: done (2xx), scheduled again for a retry, or in error; then
        insert the next steps' tasks: after a delivered call, the "after"
        steps and the *Delivered* branch; after a failure, the *Failed*
        branch."""
        if not answers:
            return
        now = fields.Datetime.now()
        rows = {column: [] for column in RESULT_COLUMNS}
        for task, (verdict, status, text, reason, seconds) in answers.items():
            values = {
                "state": states.TASK_DONE,
                "done_at": now,
                "scheduled_at": task.scheduled_at,
                "attempt": task.attempt,
                "outcome": DELIVERED,
                "webhook_status": status,
                "webhook_response": text or None,
                **reason_values(reason),
            }
            if verdict == webhook.ERROR:
                values.update(state=states.TASK_ERROR, outcome=FAILED)
            elif verdict == webhook.RETRY:
                state, retry = self._after_failed_attempt(
                    task.step_id, task.attempt + 1, reason, seconds
                )
                values.update(
                    retry,
                    state=state,
                    done_at=retry.get("done_at"),
                    outcome=FAILED if state == states.TASK_ERROR else None,
                )
            # Running may move to done, error or scheduled (TASK_TRANSITIONS).
            for column in RESULT_COLUMNS:
                rows[column].append(values[column])
        tasks = self.browse([task.id for task in answers])
        tasks._write_links(**rows)
        tasks.invalidate_recordset(["error_message"])
        active = tasks.filtered(
            lambda task: task.enrollment_id.state in states.ENROLLMENT_ACTIVE
        )
        delivered = active.filtered(lambda task: task.outcome == DELIVERED)
        failed = active.filtered(lambda task: task.outcome == FAILED)
        delivered.step_id._create_child_tasks(delivered)
        failed.step_id._create_child_tasks(failed, kinds=(triggers.BRANCH,))
        _logger.info(
            "Webhooks: %s delivered, %s failed, %s to retry",
            len(tasks.filtered(lambda task: task.outcome == DELIVERED)),
            len(tasks.filtered(lambda task: task.outcome == FAILED)),
            len(tasks.filtered(lambda task: task.state == states.TASK_SCHEDULED)),
        )

    @api.model
    def _recover_interrupted_webhooks(self, commit=False):
        """Schedule again (the step's retry delay and attempts) the tasks
        left running by a crash: running for longer than their step's
        timeout and the margin (``automation_flow.webhook_recovery_margin``,
        300 s), not locked by a worker calling them. One select for them
        all; their next call carries the same idempotency key.

        :param commit: the scheduler's cron, whose work so far is committed:
            a conflict with another worker's sweep is rolled back and left
            to it
        """
        self.flush_model(["state", "webhook_called_at"])
        margin = self._get_param("webhook_recovery_margin", DEFAULT_RECOVERY_MARGIN)
        try:
            self.env.cr.execute(
                SQL(
                    """SELECT task.id FROM automation_flow_task task
                       JOIN automation_flow_step step ON step.id = task.step_id
                       WHERE task.state = %(running)s
                         AND task.webhook_called_at < %(now)s - make_interval(
                             secs => step.webhook_timeout + %(margin)s)
                       ORDER BY task.id
                       FOR UPDATE OF task SKIP LOCKED""",
                    running=states.TASK_RUNNING,
                    now=fields.Datetime.now(),
                    margin=margin,
                )
            )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            if not commit:
                raise
            # Another worker recovers them right now.
            self.env.cr.rollback()
            _logger.info("Interrupted webhooks left to the other worker.")
            return
        tasks = self.browse([row[0] for row in self.env.cr.fetchall()])
        if tasks:
            _logger.warning(
                "Webhook tasks %s were interrupted: called again.", tasks.ids
            )
        for _step, step_tasks in tasks.grouped("step_id").items():
            step_tasks._retry_later(Reason("webhook_interrupted"))


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    webhook_secret = fields.Char(
        "Webhook secret",
        copy=False,
        readonly=True,
        groups=MANAGER,
        help="Signs the calls of the flow's webhook steps (HMAC-SHA256 in the "
        "X-Automation-Flow-Signature header): give it to the receivers, who "
        "check each call with it.",
    )
    has_webhook = fields.Boolean(compute="_compute_has_webhook")

    @api.depends("step_ids.step_type")
    def _compute_has_webhook(self):
        for flow in self:
            flow.has_webhook = "webhook" in flow.step_ids.mapped("step_type")

    def _ensure_webhook_secrets(self):
        """Give the flows without a secret one (call as superuser: the field
        is the managers')."""
        for flow in self.filtered(lambda f: not f.webhook_secret):
            flow.webhook_secret = secrets.token_hex(32)

    def action_regenerate_webhook_secret(self):
        """A new secret: the receivers must get it, calls from now on are
        signed with it (a secret that leaked no longer signs)."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(
                _("Only automation managers can regenerate a flow's webhook secret.")
            )
        self.check_access("write")
        for flow in self:
            flow.webhook_secret = secrets.token_hex(32)
        return True
