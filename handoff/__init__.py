"""The handoff service: the front door for every channel, cases, and the officer console."""
