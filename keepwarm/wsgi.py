import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keepwarm.settings")
application = get_wsgi_application()

# Import every view, build the URL map and compile every template while the server starts,
# not in the first requests each web worker answers.
from keepwarm.lib.warm import warm_up  # noqa: E402

warm_up()
