"""Alembic revisions of the app store, one module per revision (``NNNN_description.py``)."""
