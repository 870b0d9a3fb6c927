from . import automation_flow_test
from . import automation_flow_approval_decide
