"""The account audit: is every slackgate Lambda function confined to the relay?"""
