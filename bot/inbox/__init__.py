"""The event inbox: AWS events from SQS (long polling) or SNS over HTTPS, routed to capability services."""
