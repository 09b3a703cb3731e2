"""Message templates: a name, a subject and a body in the template language.

What may be referenced is fixed here: ``contact.*``, ``account.*``, ``facts.*`` and
``unsubscribe_url``. The engine that parses and renders them is a port
(:class:`crmcore.ports.marketing.TemplateEngine`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import attrs

#: The names a template may start a reference with.
TEMPLATE_ROOTS = frozenset({"contact", "account", "facts", "unsubscribe_url"})


@attrs.frozen(kw_only=True)
class MessageTemplate:
    """A named subject + body; both are templates."""

    id: UUID
    name: str
    subject: str
    body: str
    created_at: datetime
    updated_at: datetime
    version: int = 0


class TemplateRejected(ValueError):
    """A template that may not be stored: bad syntax, an unknown name, or an attempt to
    reach the engine's internals."""


class MissingVariable(LookupError):
    """A template references a value the context does not have."""

    def __init__(self, reference: str, detail: str = "") -> None:
        self.reference = reference
        super().__init__(f"{reference} is not defined" + (f" ({detail})" if detail else ""))
