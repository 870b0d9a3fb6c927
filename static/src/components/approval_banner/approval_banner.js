import {Component, onWillStart, onWillUpdateProps, useState} from "@odoo/owl";
import {Chatter} from "@mail/chatter/web_portal/chatter";
import {useService} from "@web/core/utils/hooks";

const APPROVAL = "automation.flow.approval";
let anyPending = null;

/** Whether the user has any request to decide, read once per page load. */
function hasPendingRequests(orm) {
    if (!anyPending) {
        anyPending = orm.call(APPROVAL, "has_my_requests", []);
    }
    return anyPending;
}

/**
 * Above the chatter of a record: the approval requests the current user has
 * to decide on it, with Approve and Reject (a dialog for the comment).
 */
export class ApprovalBanner extends Component {
    static template = "automation_flow.ApprovalBanner";
    static props = {
        threadModel: String,
        threadId: {type: [Number, Boolean]},
        onDecided: Function,
    };

    setup() {
        this.orm = this.env.services.orm;
        this.action = useService("action");
        this.state = useState({requests: []});
        onWillStart(() => this.load(this.props));
        onWillUpdateProps((nextProps) => this.load(nextProps));
    }

    async load({threadModel, threadId}) {
        this.state.requests =
            threadId && (await hasPendingRequests(this.orm))
                ? await this.orm.call(APPROVAL, "get_my_requests", [
                      threadModel,
                      threadId,
                  ])
                : [];
    }

    async decide(request, method) {
        const action = await this.orm.call(APPROVAL, method, [[request.id]]);
        await this.action.doAction(action, {
            onClose: async () => {
                await this.load(this.props);
                this.props.onDecided();
            },
        });
    }
}

Chatter.components = {...Chatter.components, ApprovalBanner};
