"""The team's code: a slackgate function."""
