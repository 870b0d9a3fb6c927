# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Contact pressure and consent, checked per scheduler batch.

The company caps the marketing emails a person (an email address) gets from
all its flows per day and per week (``res.company``). When the scheduler
runs a batch, ``task._contact_policy`` reads what it needs for the batch's
marketing emails at once: the address each goes to (from the templates'
recipients), the addresses that may not get them (one query,
``_consent_exclusions``) and how many emails each address got today and this
week (one query, ``_cap_counts``). The email steps of the batch then run
higher flow priority first; each skips the excluded addresses and lets go
the emails within the caps (``engine/pressure.py``), the others deferred to
the next day (or week) with the reason, or skipped once they waited more
than the company's maximum deferral.
"""

import json
import logging
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import pressure, states, windows
from ..reasons import Reason, moment
from .automation_flow_consent import CONSENT_REASONS

_logger = logging.getLogger(__name__)

# The context key of the batch's ``ContactPolicy`` (``task._execute``).
CONTACT_POLICY = "automation_flow_contact_policy"
PRIORITIES = [
    ("0", "Normal"),
    ("1", "High"),
    ("2", "Very high"),
    ("3", "Highest"),
]


class ContactPolicy:
    """What the scheduler read for a batch's marketing emails. (Hashable by
    identity, as a value of the context must be.)"""

    def __init__(self):
        # {task id: normalized address (or False)}
        self.addresses = {}
        # {step id: {res_id: recipient values}}: the template's recipients
        # rendered for the addresses, which the email step sends to.
        self.recipients = {}
        # {(flow id, address): Reason}
        self.excluded = {}
        # {company id: (day cap, week cap, maximum deferral in days, zone)}
        self.caps = {}
        # {(company id, address): (emails today, emails this week)}
        self.counts = {}

    def merge(self, other):
        """Add what ``other`` read for other tasks; counts already here
        stay (they include the emails let go since)."""
        self.addresses.update(other.addresses)
        for step_id, recipients in other.recipients.items():
            self.recipients.setdefault(step_id, {}).update(recipients)
        self.excluded.update(other.excluded)
        for key, value in other.caps.items():
            self.caps.setdefault(key, value)
        for key, value in other.counts.items():
            self.counts.setdefault(key, value)
        return self


class AutomationFlow(models.Model):
    _inherit = "automation.flow"  # pylint: disable=consider-merging-classes-inherited

    priority = fields.Selection(
        PRIORITIES,
        default="0",
        required=True,
        help="When the contact caps hold emails back, the emails of flows of "
        "higher priority due at the same time go first.",
    )

    def get_step_tree(self):
        """Each card also counts the step's emails deferred by the contact
        caps and those skipped by consent (one grouped count)."""
        tree = super().get_step_tree()
        Step = self.env["automation.flow.step"]
        counts = {
            step.id: (step.cap_deferred_count, step.consent_skipped_count)
            for step in self.step_ids
        }
        for card in tree["steps"]:
            deferred, skipped = counts.get(card["id"], (0, 0))
            if deferred:
                card["events"].append(
                    Step._designer_event(
                        "cap_deferred",
                        self.env._("Deferred by cap"),
                        deferred,
                        icon="fa-hourglass-half",
                    )
                )
            if skipped:
                card["events"].append(
                    Step._designer_event(
                        "consent_skipped",
                        self.env._("Skipped by consent"),
                        skipped,
                        icon="fa-ban",
                    )
                )
        return tree


class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    def _batch_recipients(self, res_ids):
        """The recipients the batch's contact policy rendered: the addresses
        consent and caps were checked on are those the mails go to, and the
        recipients are not rendered twice."""
        policy = self.env.context.get(CONTACT_POLICY)
        known = (policy and policy.recipients.get(self.id)) or {}
        return {
            **super()._batch_recipients(res_ids),
            **{res_id: dict(known[res_id]) for res_id in res_ids if res_id in known},
        }

    cap_deferred_count = fields.Integer(
        "Deferred by cap",
        compute="_compute_pressure_counts",
        help="Emails of the step that the contact caps held back at least once.",
    )
    consent_skipped_count = fields.Integer(
        "Skipped by consent",
        compute="_compute_pressure_counts",
        help="Emails not sent: the address is blacklisted or opted out of the flow.",
    )

    def _compute_pressure_counts(self):
        # Every record of the step, as its counters count them.
        deferred, skipped = defaultdict(int), defaultdict(int)
        for step, reason_code, count, deferred_count in (
            self.env["automation.flow.task"]
            .sudo()
            ._read_group(
                [
                    ("step_id", "in", self._origin.ids),
                    ("is_test", "=", False),
                    "|",
                    ("cap_deferred_at", "!=", False),
                    "&",
                    ("state", "=", states.TASK_SKIPPED),
                    ("reason_code", "in", CONSENT_REASONS),
                ],
                ["step_id", "reason_code"],
                ["__count", "cap_deferred_at:count"],
            )
        ):
            deferred[step.id] += deferred_count
            if reason_code in CONSENT_REASONS:
                skipped[step.id] += count
        for step in self:
            step.cap_deferred_count = deferred[step._origin.id]
            step.consent_skipped_count = skipped[step._origin.id]


class AutomationFlowTaskReport(models.Model):
    _inherit = "automation.flow.task.report"  # pylint: disable=consider-merging-classes-inherited

    cap_deferred_count = fields.Integer("Deferred by cap", readonly=True)
    consent_skipped_count = fields.Integer("Skipped by consent", readonly=True)

    def _report_get_request_select_items(self):
        return super()._report_get_request_select_items() + [
            SQL("count(task.cap_deferred_at) AS cap_deferred_count"),
            SQL(
                """count(*) FILTER (WHERE task.state = %s
                                    AND task.reason_code IN %s)
                   AS consent_skipped_count""",
                states.TASK_SKIPPED,
                CONSENT_REASONS,
            ),
        ]


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    cap_deferred_at = fields.Datetime(
        "Deferred by cap on",
        readonly=True,
        help="When the contact caps first held the task's email back.",
    )

    def init(self):
        result = super().init()
        # The caps count the emails of each address of a batch in the day
        # and the week: only the tasks of marketing emails have an address.
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS automation_flow_task_recipient_idx
               ON automation_flow_task (recipient_email, done_at)
               WHERE recipient_email IS NOT NULL"""
        )
        return result

    def _step_groups(self):
        """Marketing emails of flows of higher priority go first: when the
        contact caps hold some back, those of lower priority wait."""
        return sorted(
            super()._step_groups(),
            key=lambda group: -int(group[0].flow_id.priority or 0),
        )

    def _execute(self):
        """Run the batch knowing its contact policy (``_contact_policy``)."""
        if self.env.context.get(CONTACT_POLICY):
            return super()._execute()
        policy = self._contact_policy()
        return super(
            AutomationFlowTask, self.with_context(**{CONTACT_POLICY: policy})
        )._execute()

    def _contact_policy(self):
        """Read, for the batch's marketing emails, their addresses (one
        render of the recipients per step), the addresses that may not get
        them (one query) and the emails of each address today and this week
        under the caps of its company (one query)."""
        policy = ContactPolicy()
        by_flow, capped = defaultdict(set), {}
        for step, tasks in self.grouped("step_id").items():
            # A step that cannot run (its template moved to another model)
            # is put in error by its own run: nothing to read.
            if not step._is_marketing_email() or step._execution_error():
                continue
            try:
                recipients = step._render_recipients(tasks)
            except psycopg2.Error:
                raise
            except Exception:  # noqa: BLE001
                # A template that cannot render its recipients: the step's
                # own run meets the same error and records it on its tasks
                # (``_keep_contact_policy`` reads again for the tasks
                # replayed alone).
                _logger.info("Recipients of step %s not read.", step.id, exc_info=True)
                continue
            policy.recipients.setdefault(step.id, {}).update(recipients)
            addresses = step._recipient_addresses(recipients)
            policy.addresses.update(
                {task.id: addresses.get(task.res_id) for task in tasks}
            )
            by_flow[step.flow_id.id].update(filter(None, addresses.values()))
            # Whoever runs the scheduler reads the company's policy.
            company = step.flow_id.company_id.sudo()
            if company.automation_flow_day_cap or company.automation_flow_week_cap:
                capped[company.id] = company
        policy.excluded = self._consent_exclusions(by_flow)
        now = fields.Datetime.now()
        for company in capped.values():
            policy.caps[company.id] = (
                company.automation_flow_day_cap,
                company.automation_flow_week_cap,
                company.automation_flow_max_deferral,
                windows.zone_name(company.partner_id.tz, "UTC"),
            )
        if policy.caps:
            addresses = {address for address in policy.addresses.values() if address}
            policy.counts = self._cap_counts(policy.caps, addresses, now)
        return policy

    @api.model
    def _cap_counts(self, caps, addresses, now):
        """``{(company id, address): (emails today, emails this week)}``: the
        marketing emails queued or sent to ``addresses`` by the flows of each
        company of ``caps`` since the start of its day and of its week, in
        its time zone; one query."""
        if not addresses:
            return {}
        companies, days, weeks = [], [], []
        for company_id, (_day, _week, _max, zone) in caps.items():
            day_start, week_start = pressure.period_starts(now, zone)
            companies.append(company_id)
            days.append(day_start)
            weeks.append(week_start)
        self.flush_model(["recipient_email", "done_at", "state", "email_state"])
        self.env.cr.execute(
            SQL(
                """SELECT task.company_id, task.recipient_email,
                          count(*) FILTER (WHERE task.done_at >= period.day_start),
                          count(*)
                   FROM automation_flow_task task
                   JOIN unnest(%(companies)s::int4[], %(days)s::timestamp[],
                               %(weeks)s::timestamp[])
                        AS period(company_id, day_start, week_start)
                     ON period.company_id = task.company_id
                   WHERE task.recipient_email = ANY(%(addresses)s)
                     AND task.done_at >= period.week_start
                     AND task.state = %(done)s
                     AND task.email_state IS DISTINCT FROM 'failed'
                     AND task.is_test IS NOT TRUE
                   GROUP BY task.company_id, task.recipient_email""",
                companies=companies,
                days=days,
                weeks=weeks,
                addresses=sorted(addresses),
                done=states.TASK_DONE,
            )
        )
        return {
            (company_id, address): (day, week)
            for company_id, address, day, week in self.env.cr.fetchall()
        }

    def _keep_contact_policy(self, step):
        """Skip the emails of ``step`` to addresses that said no, hold back
        those over the contact caps; return the tasks that may go.

        Test enrollments keep to consent but not to the caps: whoever tests
        a flow wants to see it now.
        """
        if not self or not step._is_marketing_email():
            return self
        policy = self.env.context.get(CONTACT_POLICY) or ContactPolicy()
        missing = self.filtered(lambda task: task.id not in policy.addresses)
        if missing:
            # Tasks run outside the scheduler's batches, or whose recipients
            # the batch could not read: read them now.
            policy.merge(missing._contact_policy())
        flow = step.flow_id
        refused = defaultdict(list)
        for task in self:
            address = policy.addresses.get(task.id)
            reason = address and policy.excluded.get((flow.id, address))
            if reason:
                refused[reason.code].append(task.id)
        refused_ids = set()
        for code, ids in refused.items():
            self.browse(ids)._set_skipped(Reason(code))
            refused_ids.update(ids)
        tasks = self.filtered(lambda task: task.id not in refused_ids)
        caps = policy.caps.get(flow.company_id.id)
        if not caps or not tasks:
            return tasks
        day_cap, week_cap, max_days, zone = caps
        over = pressure.allocate(
            [
                (task.id, (flow.company_id.id, policy.addresses[task.id]))
                for task in tasks
                if not task.is_test and policy.addresses.get(task.id)
            ],
            policy.counts,
            day_cap,
            week_cap,
        )
        if not over:
            return tasks
        tasks.browse(list(over))._defer_for_caps(over, max_days, zone)
        return tasks.filtered(lambda task: task.id not in over)

    def _defer_for_caps(self, over, max_days, zone):
        """Hold these tasks back until the cap each hit (``over``: ``{task
        id: pressure.DAY or WEEK}``) lets them go, in one ``UPDATE``; skip
        those it would hold longer than ``max_days`` after it first did."""
        now = fields.Datetime.now()
        deferred, skipped = [], self.browse()
        for task in self:
            until = pressure.deferred_until(now, over[task.id], zone)
            if until > (task.cap_deferred_at or now) + timedelta(days=max_days):
                skipped |= task
            else:
                deferred.append((task.id, until))
        if skipped:
            skipped._set_skipped(Reason("contact_cap_skipped", days=max_days))
        if not deferred:
            return
        self._hold_until(
            [
                (task_id, until, "contact_cap", json.dumps({"at": moment(until, zone)}))
                for task_id, until in deferred
            ],
            "cap_deferred_at",
        )
