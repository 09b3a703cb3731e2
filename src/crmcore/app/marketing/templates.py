"""Use cases of message templates: add (checked in the sandbox) and preview."""

from __future__ import annotations

import attrs
from returns.result import Failure, Result, Success

from crmcore.app.context import App, transact
from crmcore.app.errors import AppError, NotFound
from crmcore.app.marketing.audience import recipients, template_context
from crmcore.domain.errors import FieldError, InvalidInput, RuleViolation
from crmcore.domain.ids import ContactId
from crmcore.domain.templates import MessageTemplate, MissingVariable, TemplateRejected
from crmcore.domain.unsubscribe import unsubscribe_url
from crmcore.ports.marketing import TemplateEngine
from crmcore.ports.uow import UnitOfWork


def engine(app: App) -> TemplateEngine:
    """The application's template engine."""
    if app.marketing is None:
        raise RuntimeError("the application was built without marketing services")
    return app.marketing.templates


def _checked(app: App, field: str, source: str) -> Result[frozenset[str], AppError]:
    try:
        return Success(engine(app).check(source))
    except TemplateRejected as exc:
        short = source if len(source) <= 60 else source[:57] + "..."
        return Failure(
            InvalidInput(errors=(FieldError(field=field, value=short, reason=str(exc)),))
        )


def add_template(
    app: App, *, name: str, subject: str, body: str, replace: bool = False
) -> Result[MessageTemplate, AppError]:
    """Store a template after checking subject and body in the sandbox; ``replace``
    changes an existing one."""
    clean = name.strip()
    if not clean or len(clean) > 200:
        return Failure(
            InvalidInput(errors=(FieldError(field="name", value=name, reason="1-200 characters"),))
        )
    for field, source in (("subject", subject), ("body", body)):
        checked = _checked(app, field, source)
        if isinstance(checked, Failure):
            return Failure(checked.failure())

    def work(uow: UnitOfWork) -> Result[MessageTemplate, AppError]:
        now = app.clock.now()
        current = uow.templates.get(clean)
        if current is not None:
            if not replace:
                return Failure(
                    RuleViolation(rule="template name", detail=f"{clean!r} exists (use --replace)")
                )
            changed = attrs.evolve(current, subject=subject, body=body, updated_at=now)
            uow.templates.save(changed)
            return Success(changed)
        template = MessageTemplate(
            id=app.ids.new(),
            name=clean,
            subject=subject,
            body=body,
            created_at=now,
            updated_at=now,
        )
        uow.templates.add(template)
        return Success(template)

    return transact(app, work)


def list_templates(app: App) -> Result[list[MessageTemplate], AppError]:
    """Every template, by name."""
    return transact(app, lambda uow: Success(list(uow.templates.list())), commit=False)


@attrs.frozen(kw_only=True)
class Preview:
    """A template rendered for one contact."""

    template: str
    to: str
    subject: str
    body: str


def preview_template(app: App, *, name: str, contact_id: ContactId) -> Result[Preview, AppError]:
    """A template rendered for one contact, as it would be sent by e-mail."""

    def work(uow: UnitOfWork) -> Result[Preview, AppError]:
        template = uow.templates.get(name)
        if template is None:
            return Failure(NotFound(kind="template", key=name))
        found = recipients(uow, [contact_id])
        recipient = found.get(contact_id)
        if recipient is None:
            return Failure(NotFound(kind="contact", key=str(contact_id)))
        to = str(recipient.contact.email) if recipient.contact.email else ""
        base = app.marketing.unsubscribe_base if app.marketing else ""
        link = unsubscribe_url(base, uow.personal_data.subject_secret(), to)
        context = template_context(recipient, link)
        try:
            subject = engine(app).render(template.subject, context)
            body = engine(app).render(template.body, context)
        except MissingVariable as exc:
            return Failure(
                RuleViolation(
                    rule="template variables",
                    detail=f"template {name!r} uses {exc.reference}, which contact "
                    f"{contact_id} does not have",
                )
            )
        return Success(Preview(template=name, to=to, subject=subject, body=body))

    return transact(app, work)  # it may store the database's first secret
