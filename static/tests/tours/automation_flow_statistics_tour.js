import {registry} from "@web/core/registry";

/**
 * The statistics of a flow whose emails were sent and opened: the designer's
 * card, the flow's statistics page and the events per day.
 */
registry.category("web_tour.tours").add("automation_flow_statistics_tour", {
    steps: () => [
        {
            content: "The email card shows what people did, with rates",
            trigger:
                ".o_automation_flow_step_events:has([data-event=sent]:contains(2 Sent)) [data-event=opened]:contains(1 Opened):contains(50%)",
        },
        {
            content: "Open the flow's statistics",
            trigger: ".o_notebook a[name=statistics]",
            run: "click",
        },
        {
            content: "The flow's open rate",
            trigger: ".o_field_widget[name=email_open_rate]:contains(50)",
        },
        {
            content: "Graph the events per day",
            trigger: "button[name=action_view_event_statistics]",
            run: "click",
        },
        {
            content: "The graph of events is drawn",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
        },
        {
            content: "Switch to the pivot to read the events",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The opens are counted",
            trigger: ".o_pivot table thead:contains(Opened)",
        },
    ],
});
