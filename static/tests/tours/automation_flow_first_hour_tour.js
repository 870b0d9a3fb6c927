import {registry} from "@web/core/registry";

/** A field of the form that reads a number above zero. */
function positive(name) {
    return {
        content: `${name} is above zero`,
        trigger: `.o_field_widget[name=${name}]`,
        run() {
            const value = parseFloat(this.anchor.textContent.replace(",", ""));
            if (!(value > 0)) {
                throw new Error(`${name} reads "${this.anchor.textContent}"`);
            }
        },
    };
}

/**
 * The first hour on the demo: the running demo flow shows what happened in
 * its designer, on the step form (the records that can reach the step) and
 * in its statistics.
 */
registry.category("web_tour.tours").add("automation_flow_first_hour_tour", {
    steps: () => [
        {
            content: "Open the running demo flow",
            trigger: ".o_kanban_record:contains(Welcome sequence)",
            run: "click",
        },
        {
            content: "The email card counts sends and opens, with rates",
            trigger:
                ".o_automation_flow_step:contains(Welcome email) .o_automation_flow_step_events:has([data-event=sent]) [data-event=opened]:contains(%)",
        },
        {
            content: "The call card counts the calls made",
            trigger:
                ".o_automation_flow_step:contains(Call if no reply) .o_automation_flow_step_counters [data-state=done]",
        },
        {
            content: "The activity step's icon is not the schedule's clock",
            trigger:
                ".o_automation_flow_step:contains(Call if no reply) .o_automation_flow_step_icon .fa-tasks",
        },
        {
            content: "Open the email step",
            trigger: ".o_automation_flow_step_name:contains(Welcome email)",
            run: "click",
        },
        {
            content: "Its domain counts the records that can reach it: the flow's too",
            trigger:
                ".modal .o_field_widget[name=domain] .o_domain_show_selection_button:contains(2 record(s))",
        },
        {
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Read the flow's statistics",
            trigger: ".o_notebook a[name=statistics]",
            run: "click",
        },
        positive("email_sent_count"),
        positive("email_opened_count"),
        positive("email_clicked_count"),
        positive("email_replied_count"),
        positive("email_failed_count"),
    ],
});

/** A journey of the demo flow, from a contact's chatter. */
registry.category("web_tour.tours").add("automation_flow_first_hour_journey_tour", {
    steps: () => [
        {
            content: "Open the contact's journeys",
            trigger: ".o-mail-Chatter-topbar .o_automation_flow_journey_button",
            run: "click",
        },
        {
            content: "The demo flow's journey: the email, sent and opened",
            trigger:
                ".modal .o_automation_flow_journey:contains(Welcome sequence) .o_automation_flow_journey_tasks:contains(Welcome email) .o_automation_flow_journey_event[data-event=opened]",
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
