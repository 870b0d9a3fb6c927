from . import main
from . import approval
