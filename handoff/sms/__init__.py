"""SMS through Twilio: signed inbound webhooks, outbound messages, opt-out, delivery status."""
