import {registry} from "@web/core/registry";

/** The journeys of a contact, from its chatter. */
registry.category("web_tour.tours").add("automation_flow_journey_tour", {
    steps: () => [
        {
            content: "Open the contact's journeys",
            trigger: ".o-mail-Chatter-topbar .o_automation_flow_journey_button",
            run: "click",
        },
        {
            content: "The flow, what is done and what comes next",
            trigger:
                ".modal .o_automation_flow_journey:contains(Journey flow):has(.o_automation_flow_journey_tasks:contains(Call)):has(.o_automation_flow_journey_next:contains(Follow up))",
        },
        {
            content: "The call's activity was done",
            trigger:
                ".modal .o_automation_flow_journey_tasks .o_automation_flow_journey_event[data-event=activity_done]:contains(Activity done)",
        },
        {
            content: "Pause the journey",
            trigger: ".modal .o_automation_flow_journey button[data-control=pause]",
            run: "click",
        },
        {
            content: "Paused, saying who paused it",
            trigger: ".modal .o_automation_flow_journey:contains(Paused by)",
        },
        {
            content: "Resume it",
            trigger: ".modal .o_automation_flow_journey button[data-control=resume]",
            run: "click",
        },
        {
            content: "Running again, saying who resumed it",
            trigger: ".modal .o_automation_flow_journey:contains(Resumed by)",
        },
        {
            content: "Skip the follow-up",
            trigger: ".modal .o_automation_flow_journey_next button[data-control=skip]",
            run: "click",
        },
        {
            content: "The follow-up was skipped, saying who skipped it",
            trigger:
                ".modal .o_automation_flow_journey_tasks:contains(Follow up):contains(Skipped by)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
