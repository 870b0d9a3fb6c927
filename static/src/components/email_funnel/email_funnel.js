import {Component} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {formatInteger, formatPercentage} from "@web/views/fields/formatters";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";

// The stages of the funnel: the counter and the rate (of the sent emails)
// fields of the email step.
const STAGES = [
    ["sent", "email_sent_count", null],
    ["opened", "email_opened_count", "email_open_rate"],
    ["clicked", "email_clicked_count", "email_click_rate"],
    ["replied", "email_replied_count", "email_reply_rate"],
];

/**
 * The funnel of an email step: sent → opened → clicked → replied, each with
 * its count, its rate of the sent emails and of the stage before, and a bar
 * as long as its rate.
 */
export class EmailFunnel extends Component {
    static template = "automation_flow.EmailFunnel";
    static props = {...standardWidgetProps};

    get stages() {
        const data = this.props.record.data;
        const labels = {
            sent: _t("Sent"),
            opened: _t("Opened"),
            clicked: _t("Clicked"),
            replied: _t("Replied"),
        };
        const sent = data.email_sent_count;
        let previous = null;
        return STAGES.map(([key, countField, rateField]) => {
            const count = data[countField];
            const rate = rateField ? data[rateField] : sent ? 100 : 0;
            const stage = {
                key,
                label: labels[key],
                count: formatInteger(count),
                rate: rateField ? this.formatRate(rate) : "",
                ofPrevious:
                    previous !== null && previous !== sent && previous
                        ? _t(
                              "%s of the stage before",
                              this.formatRate((100 * count) / previous)
                          )
                        : "",
                width: Math.max(rate, count ? 1 : 0),
            };
            previous = count;
            return stage;
        });
    }

    formatRate(rate) {
        return formatPercentage(rate / 100, {digits: [16, 1]});
    }
}

registry.category("view_widgets").add("automation_flow_email_funnel", {
    component: EmailFunnel,
    fieldDependencies: STAGES.flatMap(([, countField, rateField]) => [
        {name: countField, type: "integer"},
        ...(rateField ? [{name: rateField, type: "float"}] : []),
    ]),
});
