"""Outgoing e-mail over SMTP, configured by environment (TSUNAGU_SMTP_*)."""
