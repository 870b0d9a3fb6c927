from . import automation_flow_test
