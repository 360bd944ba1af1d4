import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.dev")
application = get_wsgi_application()
# What is loaded by now (Django, Wagtail, apps, models) lives as long as the process: keep it out
# of the garbage collector's full scans, which would otherwise walk it again and again.
gc.freeze()
