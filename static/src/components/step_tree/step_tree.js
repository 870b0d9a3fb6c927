import {
    Component,
    onMounted,
    onPatched,
    onWillStart,
    onWillUnmount,
    useRef,
    useState,
} from "@odoo/owl";
import {Dropdown} from "@web/core/dropdown/dropdown";
import {DropdownItem} from "@web/core/dropdown/dropdown_item";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";
import {useService} from "@web/core/utils/hooks";
import {useRecordObserver} from "@web/model/relational_model/utils";
import {formatInteger, formatPercentage} from "@web/views/fields/formatters";
import {FormViewDialog} from "@web/views/view_dialogs/form_view_dialog";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";

const COUNTER_CLASSES = {
    scheduled: "text-bg-info",
    running: "text-bg-warning",
    waiting: "text-bg-info",
    done: "text-bg-success",
    error: "text-bg-danger",
};

// How often and how many times the designer comes back for the counters
// while the scheduler has work of the flow due.
const POLL_DELAY = 3000;
const POLL_MAX = 20;

/**
 * The step designer of a flow: its tree of steps drawn as cards, each with
 * its type, what it does and when in words, its counters, what people did
 * with its emails or activities (with rates) and an "add step" menu offering
 * only the triggers that fit under it. Steps are edited in a dialog and
 * saved at once, so the flow is saved first.
 *
 * Layout: a step "after the previous step" continues its parent's column
 * (a drip of 100 emails is one column, not a staircase); the other children
 * (an event, a "not …", a decision's outcome, a second "after" in
 * parallel) open an indented branch headed by its label (Opened, Yes,
 * Branch A (30 %), Approved…). Any card folds the steps below it.
 */
export class StepTree extends Component {
    static template = "automation_flow.StepTree";
    static components = {Dropdown, DropdownItem};
    static props = {...standardWidgetProps};

    setup() {
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.action = useService("action");
        this.state = useState({
            steps: [],
            triggers: {},
            loaded: false,
            collapsed: {},
        });
        this.loadedKey = null;
        this.polls = 0;
        this.pollTimer = null;
        this.root = useRef("root");
        // Milliseconds of the last load: the server's answer and the drawing.
        this.timing = {};
        const stampTiming = () => {
            if (this.timing.rendering && this.root.el) {
                this.root.el.dataset.loadMs = Math.round(this.timing.loaded);
                this.root.el.dataset.renderMs = Math.round(
                    performance.now() - this.timing.rendering
                );
                this.timing.rendering = null;
            }
        };
        onMounted(stampTiming);
        onPatched(stampTiming);
        onWillUnmount(() => clearTimeout(this.pollTimer));
        onWillStart(async () => {
            this.isManager = await user.hasGroup(
                "automation_flow.group_automation_flow_manager"
            );
        });
        useRecordObserver(async (record) => {
            // Reload when another flow is shown or a button changed it.
            const key = this.recordKey(record);
            if (key !== this.loadedKey) {
                this.loadedKey = key;
                this.polls = 0;
                await this.load(record.resId);
            }
        });
    }

    recordKey(record) {
        return JSON.stringify([
            record.resId,
            record.data.state,
            record.data.task_count,
        ]);
    }

    get readonly() {
        return (
            this.props.readonly ||
            !this.isManager ||
            this.props.record.data.state === "done"
        );
    }

    /** The children of each step (``false``: the first steps), in order. */
    get children() {
        const children = {};
        for (const step of this.state.steps) {
            (children[step.parent_id] ||= []).push(step);
        }
        return children;
    }

    /**
     * The cards in drawing order: ``[{ step, depth, branch, chained, hidden,
     * foldable }]``. ``branch``: the label heading a branch (empty for a step
     * continuing its parent's column); ``hidden``: how many steps a folded
     * card hides.
     */
    get rows() {
        const children = this.children;
        const collapsed = this.state.collapsed;
        const size = {};
        const countBelow = (stepId) => {
            if (!(stepId in size)) {
                size[stepId] = (children[stepId] || []).reduce(
                    (total, child) => total + 1 + countBelow(child.id),
                    0
                );
            }
            return size[stepId];
        };
        const rows = [];
        const visit = (first, depth, branch) => {
            // A column: the step, its branches, then the step after it.
            let step = first;
            let label = branch;
            while (step) {
                const below = children[step.id] || [];
                const row = {
                    step,
                    depth,
                    branch: label,
                    chained: step !== first,
                    hidden: 0,
                    foldable: below.length > 0,
                };
                rows.push(row);
                if (collapsed[step.id]) {
                    row.hidden = countBelow(step.id);
                    return;
                }
                const after = below.filter((child) => child.kind === "after");
                const next = after.length === 1 ? after[0] : null;
                for (const child of below) {
                    if (child !== next) {
                        visit(child, depth + 1, child.branch);
                    }
                }
                step = next;
                label = "";
            }
        };
        for (const step of children[false] || []) {
            visit(step, 0, "");
        }
        return rows;
    }

    toggle(step) {
        this.state.collapsed[step.id] = !this.state.collapsed[step.id];
    }

    /** Fold every branch: the main column stays, each branch shows its first card. */
    collapseBranches() {
        const collapsed = {};
        for (const step of this.state.steps) {
            if (step.parent_id && step.kind !== "after") {
                collapsed[step.id] = true;
            }
        }
        this.state.collapsed = collapsed;
    }

    expandAll() {
        this.state.collapsed = {};
    }

    get hasBranches() {
        return this.state.steps.some((step) => step.parent_id && step.kind !== "after");
    }

    foldedLabel(count) {
        return count === 1
            ? _t("1 step folded below")
            : _t("%s steps folded below", formatInteger(count));
    }

    toggleTitle(row) {
        return row.hidden ? _t("Unfold the steps below") : _t("Fold the steps below");
    }

    /** "Done: 1,240": a label and its number read right in any language. */
    formatCounter(label, count) {
        return _t("%(label)s: %(count)s", {label, count: formatInteger(count)});
    }

    counterClass(taskState) {
        return COUNTER_CLASSES[taskState] || "text-bg-secondary";
    }

    /** A rate of the step's emails, in percent of the sent ones. */
    formatRate(rate) {
        return formatPercentage(rate / 100, {digits: [16, 1]});
    }

    triggersFor(step) {
        return this.state.triggers[step ? step.step_type : "root"] || [];
    }

    async load(resId = this.props.record.resId) {
        clearTimeout(this.pollTimer);
        if (!resId) {
            Object.assign(this.state, {steps: [], triggers: {}, loaded: true});
            return;
        }
        const start = performance.now();
        const {busy, ...data} = await this.orm.call(
            "automation.flow",
            "get_step_tree",
            [[resId]]
        );
        this.timing = {loaded: performance.now() - start, rendering: performance.now()};
        Object.assign(this.state, data, {loaded: true});
        if (busy && this.polls < POLL_MAX) {
            // The scheduler is about to enroll or run tasks of the flow:
            // come back for the counters (the form's and the cards').
            this.polls++;
            this.pollTimer = setTimeout(() => this.refresh(), POLL_DELAY);
        } else if (!busy) {
            this.polls = 0;
        }
    }

    /** Reload the flow's counters (unless it has unsaved changes) and the cards. */
    async refresh() {
        const record = this.props.record;
        if (!record.isNew && !(await record.isDirty())) {
            await record.load();
            // Loaded here, so that the record's observer need not load again.
            this.loadedKey = this.recordKey(record);
        }
        await this.load();
    }

    /** Steps are saved on their own: the flow must exist and be saved. */
    async saveFlow() {
        const record = this.props.record;
        if (record.isNew || (await record.isDirty())) {
            return record.save();
        }
        return true;
    }

    async openStep(step) {
        if (!(await this.saveFlow())) {
            return;
        }
        this.dialog.add(FormViewDialog, {
            resModel: "automation.flow.step",
            resId: step.id,
            title: step.name,
            mode: this.readonly ? "readonly" : "edit",
            onRecordSaved: () => this.refresh(),
        });
    }

    async addStep(parent, trigger) {
        if (!(await this.saveFlow())) {
            return;
        }
        this.dialog.add(FormViewDialog, {
            resModel: "automation.flow.step",
            title: parent
                ? _t("Add a step after %s", parent.name)
                : _t("Add a first step"),
            context: {
                default_flow_id: this.props.record.resId,
                default_parent_id: parent ? parent.id : false,
                default_trigger: trigger,
            },
            onRecordSaved: () => this.refresh(),
        });
    }

    async deleteStep(step) {
        // The server's dialog says what the step takes away with it and
        // archives a step with history by default.
        const action = await this.orm.call(
            "automation.flow.step",
            "action_confirm_delete",
            [[step.id]]
        );
        await this.action.doAction(action, {onClose: () => this.refresh()});
    }

    openTasks(step, counter) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("%(step)s: %(state)s", {step: step.name, state: counter.label}),
            res_model: "automation.flow.task",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: [
                ["step_id", "=", step.id],
                ["state", "=", counter.state],
                ["is_test", "=", false],
            ],
        });
    }

    openStatistics(step) {
        this.action.doAction("automation_flow.action_automation_flow_task_report", {
            additionalContext: {search_default_step_id: step.id},
        });
    }
}

registry.category("view_widgets").add("automation_flow_step_tree", {
    component: StepTree,
    fieldDependencies: [
        {name: "state", type: "selection"},
        {name: "task_count", type: "integer"},
    ],
});
