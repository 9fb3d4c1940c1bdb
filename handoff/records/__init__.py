"""Looking after stored records: key rotation, retention, erasure."""
