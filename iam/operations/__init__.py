"""The IAM operations: one function per operation, registered with awsapi.dispatch.operation on import.

The API (Query protocol, Version=2010-05-08, signed for service "iam") and the console both call them
through awsapi.dispatch.execute, as the calling principal, within the caller's own account only: IAM has
no cross-account management. Importing this package imports every operation module.
"""

import importlib

_MODULES = ("users", "access_keys", "login_profiles", "groups", "roles", "policies", "inline_policies",
            "account", "simulator")

for _name in _MODULES:
    _full = f"{__name__}.{_name}"
    try:
        importlib.import_module(_full)
    except ModuleNotFoundError as exc:
        if exc.name != _full:
            raise
