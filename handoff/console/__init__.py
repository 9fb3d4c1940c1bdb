"""The welfare officers' web console."""
