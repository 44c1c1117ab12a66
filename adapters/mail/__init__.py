"""Mail adapters: Jinja2 templates, the SMTP mailer and the `.eml` file mailer."""
