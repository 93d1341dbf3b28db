"""Running a step's solution: each operation as its named principal through awsapi.dispatch.execute, so it is
authorised by the same engine and recorded in the same trail as the trainee's own calls."""

from __future__ import annotations

import json

from awsapi import errors
from awsapi.dispatch import Call, execute
from labs.checks import principal_for, principal_ref
from labs.format import Operation, fill, flat_values

SOLUTION_SESSION = "LabSolution"
# Parameters that carry a policy document: the lab file may write them as YAML mappings.
_POLICY_PARAMS = {"Policy", "PolicyDocument", "AssumeRolePolicyDocument"}
# Parameters that are blobs on the wire: the lab file writes them as text.
_TEXT_BLOBS = {"Plaintext"}


class SolutionFailed(Exception):
    """An operation of a solution did not do what the lab file says it does."""


def _params(operation: Operation, values: dict) -> dict:
    params = fill(operation.params, flat_values(values))
    for name in list(params):
        if name in _POLICY_PARAMS and isinstance(params[name], (dict, list)):
            params[name] = json.dumps(params[name])
        elif name in _TEXT_BLOBS and isinstance(params[name], str):
            params[name] = params[name].encode()
    return params


def run_operation(operation: Operation, values: dict) -> dict:
    ref = principal_ref(operation.principal, values)
    principal = principal_for(ref, session_name=SOLUTION_SESSION, save_session=True)
    call = Call(principal=principal, region=operation.region or values["region"], service=operation.service,
                operation=operation.name, params=_params(operation, values), user_agent="kms-console-labs/solution",
                via_console=False)
    try:
        result = execute(call)
    except errors.AwsError as error:
        if operation.expect_error and error.code == operation.expect_error:
            return {}
        raise SolutionFailed(f"{operation.service}:{operation.name} as {operation.principal} failed: "
                             f"{error.code}: {error.message}") from None
    if operation.expect_error:
        raise SolutionFailed(f"{operation.service}:{operation.name} as {operation.principal} succeeded, but the "
                             f"lab expects {operation.expect_error}")
    return result


def run_solution(operations, values: dict) -> None:
    for operation in operations:
        run_operation(operation, values)
