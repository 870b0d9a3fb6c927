import {registry} from "@web/core/registry";
import {GraphRenderer} from "@web/views/graph/graph_renderer";
import {graphView} from "@web/views/graph/graph_view";

/**
 * The same colour for the same state or event in every graph of the flows,
 * whatever else is shown: an error is red, a done task green. Values not
 * listed (a step type added by another module) keep Odoo's palette.
 */
export const FIXED_COLORS = {
    state: {
        scheduled: "#3b82f6",
        waiting: "#93c5fd",
        running: "#8b5cf6",
        done: "#16a34a",
        skipped: "#a3a3a3",
        expired: "#f59e0b",
        cancelled: "#525252",
        error: "#dc2626",
    },
    event: {
        sent: "#3b82f6",
        opened: "#06b6d4",
        clicked: "#16a34a",
        replied: "#8b5cf6",
        bounced: "#f59e0b",
        failed: "#dc2626",
        activity_done: "#16a34a",
        activity_cancelled: "#525252",
        approval_approved: "#16a34a",
        approval_rejected: "#dc2626",
        approval_decided: "#3b82f6",
        unsubscribed: "#525252",
    },
};

export class StateGraphRenderer extends GraphRenderer {
    getChartConfig() {
        const config = super.getChartConfig();
        const {groupBy, fields, mode} = this.model.metaData;
        const {data} = config;
        // One group-by: its values are the bars or slices; more: the datasets
        // are the values of the second one.
        const colored = groupBy.length === 1 ? groupBy[0] : groupBy[1];
        const colorOf = colored && this.colorsByLabel(colored.fieldName, fields);
        if (!colorOf || (mode === "pie" && groupBy.length !== 1)) {
            return config;
        }
        for (const dataset of data.datasets) {
            if (groupBy.length === 1 && mode !== "line") {
                const colors = data.labels.map(
                    (label, index) =>
                        colorOf[label] ||
                        (Array.isArray(dataset.backgroundColor)
                            ? dataset.backgroundColor[index]
                            : dataset.backgroundColor)
                );
                dataset.backgroundColor = colors;
                if (mode === "pie") {
                    dataset.hoverBackgroundColor = colors;
                }
            } else if (groupBy.length > 1 && colorOf[dataset.label]) {
                const color = colorOf[dataset.label];
                if (mode === "line") {
                    Object.assign(dataset, {
                        borderColor: color,
                        pointBackgroundColor: color,
                        hoverBackgroundColor: color,
                    });
                } else {
                    dataset.backgroundColor = color;
                }
            }
        }
        return config;
    }

    /** ``{label: colour}`` of a selection field with fixed colours, or null. */
    colorsByLabel(fieldName, fields) {
        const field = fields[fieldName];
        const colors = field && field.type === "selection" && FIXED_COLORS[fieldName];
        if (!colors) {
            return null;
        }
        return Object.fromEntries(
            field.selection
                .filter(([value]) => colors[value])
                .map(([value, label]) => [label, colors[value]])
        );
    }
}

registry.category("views").add("automation_flow_graph", {
    ...graphView,
    Renderer: StateGraphRenderer,
});
