"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests, tokens, updates; JSON and XML.

Errors are the spec's: HTTP 404 (unknown resource or jurisdiction), 403 (missing or wrong api_key), 400 (anything
else), the body a list of ``{code, description}`` where the code is the HTTP status and the description starts with
gridlink's stable error code and the parameter at fault. Requests are cases; ``service_request_id`` is the tracking
code. What is published is what a public list may show: numbers in the text masked, the place to about 100 m, the
community rather than the home address. ``wire.py`` is the format, ``requests.py`` what clients send, ``views.py``
what they read.
"""

from services.intake.api.open311 import requests, views
from services.intake.api.open311.wire import router

__all__ = ["router", "requests", "views"]
