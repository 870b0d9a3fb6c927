import {Component, onWillStart, onWillUpdateProps, useState} from "@odoo/owl";
import {Chatter} from "@mail/chatter/web_portal/chatter";
import {user} from "@web/core/user";
import {useService} from "@web/core/utils/hooks";
import {JourneyDialog} from "./journey_dialog";

let flowModels = null;

/** The models some flow runs on, read once per page load. */
function getFlowModels(orm) {
    if (!flowModels) {
        flowModels = orm
            .searchRead("automation.flow", [], ["model"], {
                context: {active_test: false},
            })
            .then((flows) => new Set(flows.map((flow) => flow.model)));
    }
    return flowModels;
}

/**
 * "Journeys" in the chatter's top bar: shown to automation users on the
 * records of models that have flows; opens the record's journeys.
 */
export class JourneyButton extends Component {
    static template = "automation_flow.JourneyButton";
    static props = {threadModel: String, threadId: {type: [Number, Boolean]}};

    setup() {
        // The models are cached for the page: read them with the service
        // itself, not with a copy bound to this (maybe short-lived) button.
        this.orm = this.env.services.orm;
        this.dialog = useService("dialog");
        this.state = useState({visible: false});
        onWillStart(() => this.updateVisibility(this.props));
        onWillUpdateProps((nextProps) => this.updateVisibility(nextProps));
    }

    async updateVisibility({threadModel, threadId}) {
        const isUser = await user.hasGroup(
            "automation_flow.group_automation_flow_user"
        );
        this.state.visible =
            Boolean(threadId) &&
            isUser &&
            (await getFlowModels(this.orm)).has(threadModel);
    }

    openJourneys() {
        this.dialog.add(JourneyDialog, {
            resModel: this.props.threadModel,
            resId: this.props.threadId,
        });
    }
}

Chatter.components = {...Chatter.components, JourneyButton};
