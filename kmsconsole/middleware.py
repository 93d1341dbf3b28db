"""Cross-cutting request plumbing: a request id for every request, and correct caching of htmx fragments."""

import uuid


class RequestIdMiddleware:
    """Give every request a UUID: the AWS API returns it as x-amzn-RequestId and audit records carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = str(uuid.uuid4())
        response = self.get_response(request)
        response.setdefault("x-amzn-RequestId", request.request_id)
        return response


class VaryOnHtmxMiddleware:
    """A URL answers with a fragment for htmx and a whole page otherwise; caches must keep them apart."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        from django.utils.cache import patch_vary_headers

        patch_vary_headers(response, ("HX-Request",))
        return response
