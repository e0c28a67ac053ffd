"""A small offline evaluator of the AWS IAM policy language, limited to what slackgate uses.

Security claims about slackgate's identity, resource-based and VPC endpoint policies are proven
by evaluating the synthesized policies against tables of requests. That needs an evaluator that
runs offline, with conditions. None of the Python packages found does that and is maintained:

* ``policyuniverse`` (Netflix) parses policies and expands actions; it does not decide requests.
* ``parliament`` (Duo Labs) and ``cloudsplaining`` (Salesforce) lint and audit policies; they do
  not decide requests. ``policy-sentry`` writes policies.
* ``principalmapper`` (NCC Group) has a local policy simulator with conditions, but its last
  release is from January 2022 and it is built around a graph of a real account.
* ``iam-policy-validator``, ``aws-iam-tester`` and AWS's own simulator (``iam
  simulate-custom-policy``) call the AWS API, which tests must not reach; no package named
  ``iam-simulator`` exists; moto's access control matches Action and Resource but ignores
  Condition.

So this package implements the part of the IAM User Guide's evaluation logic that slackgate's
policies use, and refuses everything else with ``PolicyError`` instead of guessing.

Use::

    from shared_gateway.iampolicy import Request, Decision, evaluate, allowed, resolve_cfn

    result = evaluate(policy, Request("s3:GetObject", "arn:aws:s3:::b/k", context={...}))
    result.decision  # Decision.ALLOW, EXPLICIT_DENY or IMPLICIT_DENY
    result.sid, result.index  # the deciding statement (None for an implicit deny)

    allowed(request, identity=role_policies, endpoint=endpoint_policy)  # -> bool
    decide(request, identity=..., resource=...)  # a Combined: .allowed and each Evaluation
    evaluate(resolve_cfn(template_policy, refs), request)  # a synthesized CDK policy

``evaluate`` returns an ``Evaluation`` (``.decision``, ``.sid``, ``.index``, ``.allowed``).
``allowed``/``decide`` take ``identity``, ``resource``, ``endpoint``, ``boundary``, ``scp`` and
``rcp`` policies and combine them as AWS does (``combine`` module docstring).

Supported: Effect; Action/NotAction (``*``/``?``, case-insensitive); Resource/NotResource
(wildcards, case-sensitive, policy variables); Principal/NotPrincipal (``*``, ``AWS`` account,
root, role, user and session ARNs, ``Service``); Condition with the String*, Arn*, Bool, Null and
Numeric* operators, ``...IfExists``, ``ForAnyValue:``/``ForAllValues:``; policy variables
``${key}``, ``${key, 'default'}``, ``${*}``, ``${?}``, ``${$}`` in Resource and in condition
values, principal tags among them (``${aws:PrincipalTag/team}``); a variable without a value
makes its statement invalid (it neither allows nor denies). ``RoleSession`` builds the request
of a role's session: its session ARN, and ``aws:PrincipalArn`` (the role's ARN, path included),
``aws:PrincipalAccount`` and one ``aws:PrincipalTag/<key>`` per tag.

Deliberately not covered (PolicyError where it would show up in a policy): Date*, IpAddress,
Binary operators; Federated and CanonicalUser principals; a set prefix together with IfExists;
several levels of SCPs at once, session policies and ACLs; which actions a service really
supports, and which condition keys it really sends — the request context is what the caller
says it is.
"""

from .cfn import CfnError, resolve_cfn
from .combine import Combined, allowed, decide
from .evaluate import Policy, evaluate
from .model import Decision, Evaluation, PolicyError, Request
from .principals import RoleSession

__all__ = [
    "CfnError",
    "Combined",
    "Decision",
    "Evaluation",
    "Policy",
    "PolicyError",
    "Request",
    "RoleSession",
    "allowed",
    "decide",
    "evaluate",
    "resolve_cfn",
]
