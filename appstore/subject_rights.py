"""App-store tables for data subjects' rights: subject access requests, consent withdrawals and
rectification requests (UK GDPR Arts 15, 7(3) and 16), kept by information governance.

They live in the app store, not the analytics store, so a refresh that rebuilds the analytics store
never loses them: a consent withdrawal recorded here is applied to every later read
(``data_access.consent``). Children are named by their opaque analytics ids, which a council refresh
keeps (its ledger of LA child IDs), as break-glass grants are; an involvement by its child, service,
type and start date, since a refresh numbers involvements afresh. Created by migration ``0005_sar``;
``appstore.tables`` imports this module so its tables are on the one ``metadata``. Dates are ISO
``YYYY-MM-DD`` text, timestamps ``iso_utc`` text, as everywhere in the app store.
"""

from __future__ import annotations

import sqlalchemy as sa

from appstore.tables import metadata

SAR_STATUSES: tuple[str, ...] = ("open", "completed")
RECTIFICATION_OUTCOMES: tuple[str, ...] = ("pending", "rectified", "partly_rectified", "refused")


def _ts(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable, comment="UTC ISO 8601 text")


def _day(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(10), nullable=nullable, comment="ISO date YYYY-MM-DD")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


sar_requests = sa.Table(
    "sar_requests", metadata,
    sa.Column("sar_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_ref", sa.String(40), nullable=False, unique=True),
    sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
    sa.Column("requester", sa.String(120), nullable=False),
    sa.Column("relationship", sa.String(24), nullable=False, comment="data_access.sar.RELATIONSHIPS"),
    _day("received_date"),
    sa.Column("identity_verified", sa.Boolean, nullable=False),
    sa.Column("identity_evidence", sa.String(32), nullable=False, comment="data_access.sar.IDENTITY_EVIDENCE"),
    sa.Column("registered_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("registered_at"),
    sa.Column("extension_months", sa.Integer, nullable=False, server_default="0"),
    sa.Column("extension_reason", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    _ts("completed_at", nullable=True),
    sa.CheckConstraint("extension_months BETWEEN 0 AND 2", name="ck_sar_requests_extension"),
    sa.CheckConstraint(_in("status", SAR_STATUSES), name="ck_sar_requests_status"),
    sa.Index("ix_sar_requests_status", "status"),
    sqlite_autoincrement=True,
    comment="Subject access requests (UK GDPR Art 15) registered by information governance",
)

consent_withdrawals = sa.Table(
    "consent_withdrawals", metadata,
    sa.Column("withdrawal_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("involvement_id", sa.Integer, nullable=False, comment="analytics involvement_id when recorded"),
    sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id (stable: the ledger's)"),
    sa.Column("service", sa.String(8), nullable=False, comment="with child, type and start: the involvement"),
    sa.Column("intervention_type", sa.String(4), nullable=False),
    _day("start_date"),
    sa.Column("purpose", sa.String(32), nullable=False, comment="a policy purpose, or 'all'"),
    _day("withdrawn_date"),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("recorded_at"),
    sa.Index("ix_consent_withdrawals_involvement", "involvement_id"),
    sqlite_autoincrement=True,
    comment="Consent withdrawn (Art 7(3)); applied to every read from withdrawn_date",
)

rectification_requests = sa.Table(
    "rectification_requests", metadata,
    sa.Column("rectification_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("child_id", sa.Integer, nullable=False, comment="opaque analytics child_id"),
    sa.Column("field", sa.String(40), nullable=False, comment="data_access.consent.RECTIFIABLE_FIELDS"),
    sa.Column("correction", sa.Text, nullable=False, comment="the correction asked for"),
    _day("received_date"),
    sa.Column("outcome", sa.String(24), nullable=False, server_default="pending"),
    sa.Column("outcome_note", sa.Text, nullable=True),
    sa.Column("recorded_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    _ts("recorded_at"),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.user_id"), nullable=True),
    _ts("decided_at", nullable=True),
    sa.CheckConstraint(_in("outcome", RECTIFICATION_OUTCOMES), name="ck_rectification_outcome"),
    sa.Index("ix_rectification_child", "child_id"),
    sqlite_autoincrement=True,
    comment="Rectification requests (Art 16): the field, the correction asked for and the outcome",
)
