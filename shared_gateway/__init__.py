"""slackgate's shared gateway: the relay, its local server, the platform stack and the audit."""
