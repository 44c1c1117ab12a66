"""External identity providers: Google (OpenID Connect) and GitHub (OAuth 2), on Authlib's httpx client."""
