"""App-store tables of the IG workbench's retention and extract steps (storage only, no policy).

Registered on ``appstore.tables.metadata`` (imported at the end of ``tables``), created by migration
``0006_retention``. Kept in the app store, not the analytics store, so the state survives a rebuild
of the analytics store (a surrogate ``child_id`` is given once and for ever: ``refresh.ingest.landing``).

- ``retention_runs``: one row per dry run of a retention step (archive or destroy); the run itself
  moves the row from ``planned`` to ``done`` once, and only for the token its dry run showed.
- ``retention_records``: one row per archived child; ``destroyed_at`` set when destroyed.
- ``extracts``: pseudonymised extracts for an external recipient; the file is kept until its one
  download and then cleared.
- ``extract_requests``: an analyst's request for an extract, decided by an IG officer (four eyes).
"""

from __future__ import annotations

import sqlalchemy as sa

from appstore.tables import _quoted, _ts, metadata

RETENTION_STEPS: tuple[str, ...] = ("archive", "destroy")
RUN_STATUSES: tuple[str, ...] = ("planned", "done")
EXTRACT_REQUEST_STATUSES: tuple[str, ...] = ("pending", "approved", "rejected", "used")

retention_runs = sa.Table(
    "retention_runs", metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("step", sa.String(8), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False, comment="the retention rule applied"),
    sa.Column("data_date", sa.String(10), nullable=False, comment="the analytics store's as_of (ISO date)"),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="sha256 of the dry run's token"),
    sa.Column("digest", sa.String(64), nullable=False, comment="sha256 of the records the dry run found"),
    sa.Column("planned", sa.Integer, nullable=False, comment="records the dry run found"),
    sa.Column("planned_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("planned_at"),
    sa.Column("status", sa.String(8), nullable=False, server_default="planned"),
    sa.Column("done_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("done_at", nullable=True),
    sa.Column("done", sa.Integer, nullable=True, comment="records the run changed"),
    sa.CheckConstraint(f"step IN ({_quoted(RETENTION_STEPS)})", name="ck_retention_runs_step"),
    sa.CheckConstraint(f"status IN ({_quoted(RUN_STATUSES)})", name="ck_retention_runs_status"),
    sqlite_autoincrement=True,
    comment="Dry runs of retention steps and the runs that followed them",
)

retention_records = sa.Table(
    "retention_records", metadata,
    sa.Column("child_id", sa.Integer, primary_key=True, autoincrement=False, comment="opaque analytics child_id"),
    sa.Column("retention_date", sa.String(10), nullable=False, comment="25th birthday when archived (ISO date)"),
    sa.Column("archive_ends", sa.String(10), nullable=False, comment="end of the archive period (ISO date)"),
    sa.Column("archive_run", sa.Integer, sa.ForeignKey("retention_runs.run_id"), nullable=False),
    _ts("archived_at"),
    sa.Column("destroy_run", sa.Integer, sa.ForeignKey("retention_runs.run_id"), nullable=True),
    _ts("destroyed_at", nullable=True),
    sa.Index("ix_retention_records_archive_ends", "archive_ends"),
    comment="Archived records (out of reach but for subject access and legal claims) and destroyed ones",
)

extract_requests = sa.Table(
    "extract_requests", metadata,
    sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("spec", sa.String(40), nullable=False),
    sa.Column("recipient", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("requested_at"),
    sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("decided_at", nullable=True),
    sa.CheckConstraint(f"status IN ({_quoted(EXTRACT_REQUEST_STATUSES)})", name="ck_extract_requests_status"),
    sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="ck_extract_requests_four_eyes"),
    sqlite_autoincrement=True,
    comment="Analysts' requests for a pseudonymised extract, approved by information governance",
)

extracts = sa.Table(
    "extracts", metadata,
    sa.Column("extract_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("spec", sa.String(40), nullable=False),
    sa.Column("spec_version", sa.String(12), nullable=False),
    sa.Column("recipient", sa.String(16), nullable=False),
    sa.Column("key_id", sa.String(40), nullable=False, comment="names the recipient's key, never holds it"),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("k_achieved", sa.Integer, nullable=False),
    sa.Column("produced_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("produced_at"),
    sa.Column("request_id", sa.Integer, sa.ForeignKey("extract_requests.request_id"), nullable=True),
    sa.Column("content", sa.LargeBinary, nullable=True, comment="the ZIP until its one download; then NULL"),
    sa.Column("downloaded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("downloaded_at", nullable=True),
    sqlite_autoincrement=True,
    comment="Pseudonymised extracts for an external recipient; downloadable once",
)
