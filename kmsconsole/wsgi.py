import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")
application = get_wsgi_application()

# A server process: load the API's models before the first request instead of during it. (With
# gunicorn.conf.py's preload_app the master does this once, before forking its workers.)
from awsapi.dispatch import warm_up  # noqa: E402  (needs the settings configured above)

warm_up()
