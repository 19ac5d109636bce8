"""The platform's PostgreSQL backend (settings.DATABASES ENGINE "tongban.core.db"): Django's, with a cheaper
connection health check. See base.py."""
