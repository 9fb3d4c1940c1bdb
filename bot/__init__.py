"""Rasa-side code of the assistant: input channels and custom NLU components."""
