"""Offline stand-ins for Slack and AWS, used by the console, the demo and the tests. Never imported by the bot."""
