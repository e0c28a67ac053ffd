"""The relay: the only way out of a slackgate function, deployed as the relay Lambda's code.

Standard library only (boto3 is imported lazily, for Secrets Manager); relative imports only,
so this folder can be shipped on its own.
"""
