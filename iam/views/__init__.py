"""The console's IAM pages: users, user groups, roles, policies and the account alias.

Every read and every change is one IAM operation run through awsapi.dispatch.execute as the signed-in
principal (via_console=True), so the same engine authorises it and the same trail records it as an API call.
Modules: users.py, groups.py, roles.py, policies.py, account.py; shared helpers in common.py.
"""
