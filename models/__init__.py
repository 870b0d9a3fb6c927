from . import automation_flow_domain_mixin
from . import automation_flow_record_mixin
from . import automation_flow
from . import automation_flow_tag
from . import automation_flow_filter
from . import automation_flow_step
from . import automation_flow_enrollment
from . import automation_flow_task
from . import automation_flow_task_report
from . import automation_flow_goal
from . import automation_flow_record_hooks
from . import automation_flow_event_report

# The step types extend the step, the task and the reports: after them.
from . import automation_flow_step_email
from . import automation_flow_step_activity
from . import automation_flow_step_action
from . import automation_flow_step_condition
from . import automation_flow_step_split
from . import automation_flow_step_wait
from . import base_automation
from . import ir_actions_server
from . import ir_qweb
from . import link_tracker_click
from . import mail_activity
from . import mail_mail
from . import mail_template
from . import mail_thread
