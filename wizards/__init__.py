from . import automation_flow_test
from . import automation_flow_approval_decide
from . import automation_flow_launch
from . import automation_flow_step_preview
from . import automation_flow_step_delete
from . import automation_flow_export
from . import automation_flow_import
from . import automation_flow_rule_preset
