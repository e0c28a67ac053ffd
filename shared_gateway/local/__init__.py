"""Local stand-ins for development and tests: API Gateway in front of the relay, and Slack.

Not part of the deployed relay. Standard library only; everything listens on 127.0.0.1.

- `server`: the relay behind a local API Gateway (routing, body cap, SigV4, proxy events)
- `sigv4`: SigV4 verification as API Gateway does it for AWS_IAM routes
- `credentials`: the local credentials file (made-up access key -> secret and role ARN)
- `command`: `python -m shared_gateway relay`
- `slack_standin`: a Slack incoming webhook that records requests and answers from a script
- `team_loop`: one team's local relay (its registry, keys made for its function's role)
- `team_commands`: a team repository's `make local-relay` and `make local`, with exit codes
- `summary`: the per-message report (decision, reasons, what Slack received)

A team repository carries a copy of this package and of `shared_gateway/relay` (as
`slackgate_local.local` and `slackgate_local.relay`), so the imports between the two are
relative: the same files work in place and in the copy.
"""
