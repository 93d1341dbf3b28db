"""Console sign-in events (ConsoleLogin, SwitchRole) as operations, so dispatch.execute records them.

The console decides the outcome first (password check, or the AssumeRole behind a role switch) and
passes it in call.params["Outcome"]; the operation turns it into CloudTrail's responseElements
({"ConsoleLogin": "Success" | "Failure"}) and, for a failure, an error so the record carries one.
The outcome is taken out of the parameters before the record is written: sign-in records have none.
"""

from awsapi import errors
from awsapi.dispatch import operation

SUCCESS, FAILURE = "Success", "Failure"
FAILED_AUTHENTICATION = "Failed authentication"


def _sign_in_event(call):
    outcome = call.params.pop("Outcome")
    message = call.params.pop("FailureMessage", FAILED_AUTHENTICATION)
    call.params = {}
    call.extra_record_fields["eventType"] = "AwsConsoleSignIn"
    call.extra_record_fields.setdefault("additionalEventData", {"MobileVersion": "No", "MFAUsed": "No"})
    if outcome == SUCCESS:
        call.response_elements = {call.operation: SUCCESS}
        return {}
    call.extra_record_fields["responseElements"] = {call.operation: FAILURE}
    raise errors.AccessDeniedException(message)


@operation("signin", "ConsoleLogin", modelled=False)
def console_login(call):
    return _sign_in_event(call)


@operation("signin", "SwitchRole", modelled=False)
def switch_role(call):
    return _sign_in_event(call)
