"""The refusals ``data_access`` raises: one base class, so a caller catches one thing.

Every message is safe to show the user (it names the field or the rule, never another child's data).
"""

from __future__ import annotations


class Refused(Exception):
    """Base of every refusal: the policy said no, or the request was malformed or forged."""


class AccessDenied(Refused):
    """The policy refuses the request."""


class InvalidRequest(Refused, ValueError):
    """A malformed value (paging, sorting, a reference, a child id); the message names the field."""


class InvalidFilter(InvalidRequest):
    """A filter value that is not in its code list; the message names the field and the value."""
