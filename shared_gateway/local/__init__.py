"""Local stand-ins for development and tests: API Gateway in front of the relay, and Slack.

Not part of the deployed relay. Standard library only; everything listens on 127.0.0.1.

- `server`: the relay behind a local API Gateway (routing, body cap, SigV4, proxy events)
- `sigv4`: SigV4 verification as API Gateway does it for AWS_IAM routes
- `credentials`: the local credentials file (made-up access key -> secret and role ARN)
- `command`: `python -m shared_gateway relay`
- `slack_standin`: a Slack incoming webhook that records requests and answers from a script
"""
