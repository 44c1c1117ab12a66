"""Identity and access: accounts, sessions, tokens, codes."""
