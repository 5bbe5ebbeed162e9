import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
application = get_wsgi_application()

# Import every view and build the URL map while the server starts, not in the first
# request each web worker answers: that import (the API's schemas, matching's tables) took
# several seconds, and the first person to open a page after a start or deploy waited.
_ = get_resolver().reverse_dict
