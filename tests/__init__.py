from . import test_engine
from . import test_enrollment
from . import test_execution
from . import test_validation
from . import test_security
from . import test_concurrency
