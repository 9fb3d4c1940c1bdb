"""Anonymised statistics for the annual report."""
