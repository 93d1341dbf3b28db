"""The KMS operations: one function per operation, registered with awsapi.dispatch.operation on import.

The API and the console both call them through awsapi.dispatch.execute. Importing this package imports
every operation module; a module a colleague has not written yet is skipped, any other import error is not.
"""

import importlib

_MODULES = ("management", "aliases", "cryptographic", "grants", "key_material", "encapsulation", "key_last_usage", "multi_region")

for _name in _MODULES:
    _full = f"{__name__}.{_name}"
    try:
        importlib.import_module(_full)
    except ModuleNotFoundError as exc:
        if exc.name != _full:
            raise
