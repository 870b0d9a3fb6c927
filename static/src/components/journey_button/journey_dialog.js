import {Component, onWillStart, useState} from "@odoo/owl";
import {Dialog} from "@web/core/dialog/dialog";
import {deserializeDateTime, formatDateTime} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {useService} from "@web/core/utils/hooks";

const STATE_CLASSES = {
    running: "text-bg-info",
    done: "text-bg-success",
    error: "text-bg-danger",
    scheduled: "text-bg-info",
    waiting: "text-bg-info",
    paused: "text-bg-warning",
};

// What happened to the email or activity of a task, in a word.
const EVENT_LABELS = {
    sent: _t("Sent"),
    failed: _t("Failed"),
    opened: _t("Opened"),
    clicked: _t("Clicked"),
    replied: _t("Replied"),
    bounced: _t("Bounced"),
    activity_done: _t("Activity done"),
    activity_cancelled: _t("Activity cancelled"),
    unsubscribed: _t("Unsubscribed"),
};
const EVENT_CLASSES = {
    failed: "text-danger",
    bounced: "text-danger",
    activity_cancelled: "text-muted",
    unsubscribed: "text-muted",
};

/** The flows a record is in: what comes next and the tasks done. */
export class JourneyDialog extends Component {
    static template = "automation_flow.JourneyDialog";
    static components = {Dialog};
    static props = {resModel: String, resId: Number, close: Function};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({journeys: [], loaded: false});
        onWillStart(() => this.load());
    }

    async load() {
        this.state.journeys = await this.orm.call(
            "automation.flow.enrollment",
            "get_journeys",
            [this.props.resModel, this.props.resId]
        );
        this.state.loaded = true;
    }

    isActive(journey) {
        return ["running", "paused"].includes(journey.state);
    }

    /**
     * Pause, resume, remove (an enrollment) or run now, skip, cancel (a
     * task), then show the journeys as they are now. A refusal is shown by
     * the error dialog; the journeys are reloaded anyway.
     */
    async control(model, method, id) {
        try {
            await this.orm.call(model, method, [[id]]);
        } finally {
            await this.load();
        }
    }

    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    eventLabel(event) {
        return EVENT_LABELS[event.event] || event.event;
    }

    eventClass(event) {
        return EVENT_CLASSES[event.event] || "text-success";
    }

    stateClass(state) {
        return STATE_CLASSES[state] || "text-bg-secondary";
    }

    async openEnrollment(journey) {
        await this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "automation.flow.enrollment",
            res_id: journey.id,
            views: [[false, "form"]],
        });
        this.props.close();
    }

    async openFlow(journey) {
        await this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "automation.flow",
            res_id: journey.flow_id,
            views: [[false, "form"]],
        });
        this.props.close();
    }
}
