import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kshare.settings")

from kshare.web.bodylimit import BodyLimitMiddleware

# Request bodies over a view's limit are refused before Django (or anyone) reads them.
application = BodyLimitMiddleware(get_wsgi_application())
