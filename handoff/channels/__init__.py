"""How messages come in and answers go out: one intake for every channel (the safety verdict, the check-in,
the assistant, the queue), and the web chat's socket. SMS (handoff/channels/sms) is on the same intake."""
