import {registry} from "@web/core/registry";

/** An approver approves a contact from the banner above its chatter. */
registry.category("web_tour.tours").add("automation_flow_approval_tour", {
    steps: () => [
        {
            content: "The request is above the chatter",
            trigger: ".o_automation_flow_approval_banner:contains(Reception)",
        },
        {
            trigger: ".o_automation_flow_approval_banner button:contains(Approve)",
            run: "click",
        },
        {
            content: "Comment the decision",
            trigger: ".modal div[name=comment] textarea",
            run: "edit Stamped and filed",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The banner is gone, the decision is on the chatter",
            trigger:
                "body:not(:has(.modal)):not(:has(.o_automation_flow_approval_banner)) .o-mail-Message:contains(Stamped and filed)",
        },
    ],
});
