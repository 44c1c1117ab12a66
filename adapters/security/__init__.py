"""Password hashing (pwdlib) and access tokens (pyjwt)."""
