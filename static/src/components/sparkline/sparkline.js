import {Component} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {standardFieldProps} from "@web/views/fields/standard_field_props";

const WIDTH = 84;
const HEIGHT = 20;

/** A tiny bar chart of a list of counts (e.g. enrollments per day). */
export class Sparkline extends Component {
    static template = "automation_flow.Sparkline";
    static props = {...standardFieldProps};

    width = WIDTH;
    height = HEIGHT;

    get values() {
        return this.props.record.data[this.props.name] || [];
    }

    get bars() {
        const values = this.values;
        const max = Math.max(1, ...values);
        const step = WIDTH / Math.max(1, values.length);
        return values.map((value, index) => {
            const height = value ? Math.max(2, (value / max) * HEIGHT) : 1;
            return {
                x: index * step + 1,
                y: HEIGHT - height,
                width: Math.max(1, step - 2),
                height,
                value,
            };
        });
    }

    get title() {
        const total = this.values.reduce((sum, value) => sum + value, 0);
        return _t("Enrolled in the last %(days)s days: %(total)s", {
            total,
            days: this.values.length,
        });
    }
}

registry.category("fields").add("automation_flow_sparkline", {
    component: Sparkline,
    supportedTypes: ["json"],
});
