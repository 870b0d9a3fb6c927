import {Component, onWillStart, useState} from "@odoo/owl";
import {ConfirmationDialog} from "@web/core/confirmation_dialog/confirmation_dialog";
import {Dropdown} from "@web/core/dropdown/dropdown";
import {DropdownItem} from "@web/core/dropdown/dropdown_item";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";
import {useService} from "@web/core/utils/hooks";
import {useRecordObserver} from "@web/model/relational_model/utils";
import {formatPercentage} from "@web/views/fields/formatters";
import {FormViewDialog} from "@web/views/view_dialogs/form_view_dialog";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";

const COUNTER_CLASSES = {
    scheduled: "text-bg-info",
    waiting: "text-bg-info",
    done: "text-bg-success",
    error: "text-bg-danger",
};

/**
 * The step designer of a flow: its tree of steps drawn as nested cards, each
 * with its type, its schedule in words, its counters, what people did with
 * its emails or activities (with rates) and an "add step" menu
 * offering only the triggers that fit under it. Steps are edited in a dialog
 * and saved at once, so the flow is saved first.
 */
export class StepTree extends Component {
    static template = "automation_flow.StepTree";
    static components = {Dropdown, DropdownItem};
    static props = {...standardWidgetProps};

    setup() {
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.action = useService("action");
        this.state = useState({steps: [], triggers: {}, loaded: false});
        this.loadedKey = null;
        onWillStart(async () => {
            this.isManager = await user.hasGroup(
                "automation_flow.group_automation_flow_manager"
            );
        });
        useRecordObserver(async (record) => {
            // Reload when another flow is shown or a button changed it.
            const key = JSON.stringify([
                record.resId,
                record.data.state,
                record.data.task_count,
            ]);
            if (key !== this.loadedKey) {
                this.loadedKey = key;
                await this.load(record.resId);
            }
        });
    }

    get readonly() {
        return (
            this.props.readonly ||
            !this.isManager ||
            this.props.record.data.state === "done"
        );
    }

    /** The steps in tree order, each with its depth: ``[{ step, depth }]``. */
    get rows() {
        const children = {};
        for (const step of this.state.steps) {
            (children[step.parent_id] ||= []).push(step);
        }
        const rows = [];
        const visit = (parentId, depth) => {
            for (const step of children[parentId] || []) {
                rows.push({step, depth});
                visit(step.id, depth + 1);
            }
        };
        visit(false, 0);
        return rows;
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
        if (!resId) {
            Object.assign(this.state, {steps: [], triggers: {}, loaded: true});
            return;
        }
        const data = await this.orm.call("automation.flow", "get_step_tree", [[resId]]);
        Object.assign(this.state, data, {loaded: true});
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
            onRecordSaved: () => this.load(),
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
            onRecordSaved: () => this.load(),
        });
    }

    deleteStep(step) {
        this.dialog.add(ConfirmationDialog, {
            body: _t(
                "Delete the step %s? The steps after it and the tasks of all of them are deleted too.",
                step.name
            ),
            confirmLabel: _t("Delete"),
            confirm: async () => {
                await this.orm.unlink("automation.flow.step", [step.id]);
                await this.load();
            },
            cancel: () => {},
        });
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
