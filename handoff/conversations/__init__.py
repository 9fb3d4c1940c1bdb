"""Conversations, their messages, and who owns each conversation."""
