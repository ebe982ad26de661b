"""The app store: users, sessions, grants and the audit trail (transactional, migrated by Alembic).

``tables`` (the Core tables, engine and migrations), ``users``, ``sessions``, ``audit``. These
modules take an engine explicitly and know no policy: ``data_access`` decides who may do what and
writes through them. Depends on ``model`` only.
"""
