"""SMS: Twilio's webhooks in (views), the conversation's texts out (service), and a stand-in for Twilio's REST API
and webhooks for tests and `make sms` (standin)."""
