from . import test_ui_backend
from . import test_ui_tour
