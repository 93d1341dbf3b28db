"""The policy engine: pure Python, no Django.

- `policies.grammar`: JSON -> frozen dataclasses (`parse_policy`, `parse_policy_cached`).
- `policies.engine`: decisions with reasons (`evaluate_key_access`, `evaluate_identity_access`,
  `evaluate_role_trust`, `check_lockout`).
- `policies.validator`: every problem of a document at once (`validate_policy`).
- `policies.actions`: the KMS action and condition-key catalogue.
"""
