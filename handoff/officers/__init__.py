"""Staff accounts: welfare officers, safeguarding leads and admins."""
