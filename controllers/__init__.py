from . import main
from . import approval
from . import unsubscribe
