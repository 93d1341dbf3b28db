"""How the OpenAPI document describes SigV4 (the console session is DRF's own session scheme)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SigV4Scheme(OpenApiAuthenticationExtension):
    target_class = "restapi.auth.SigV4Authentication"
    name = "sigv4"

    def get_security_definition(self, auto_schema):
        # OpenAPI has no SigV4 scheme: an Authorization header, described.
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "AWS Signature Version 4 with any access key of a scenario, service name "
                               "`kmsconsole`, in the region the call runs in (requests-aws4auth, botocore's "
                               "SigV4Auth)."}


class ConsoleSessionScheme(OpenApiAuthenticationExtension):
    target_class = "restapi.auth.ConsoleSessionAuthentication"
    name = "consoleSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The console's session (sign in at /signin/); unsafe methods also need the "
                               "X-CSRFToken header with the csrftoken cookie's value."}
