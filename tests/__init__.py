from . import test_activity_events
from . import test_email_delivery
from . import test_email_tracking
from . import test_mail_gateway
