"""Templates rendered by Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``.

Two lines of defence: when a template is added, its syntax tree is walked and any
attribute, item or string starting with ``_`` (the way to ``__class__``, ``__mro__``,
``__globals__``) or any root other than ``contact``, ``account``, ``facts`` and
``unsubscribe_url`` is refused; when it renders, the sandbox refuses unsafe attribute
access anyway. An undefined reference raises instead of rendering empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from crmcore.domain.templates import TEMPLATE_ROOTS, MissingVariable, TemplateRejected

#: Filters that reach attributes by name or change the environment.
_FORBIDDEN_FILTERS = frozenset({"attr", "map", "selectattr", "rejectattr", "groupby", "sort"})


def _reference(node: nodes.Node) -> str | None:
    """``contact.first_name`` for ``Getattr(Name(contact), first_name)``, else None."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _reference(node.node)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _reference(node.node)
        return f"{base}.{node.arg.value}" if base is not None else None
    return None


class SandboxedJinja:
    """The :class:`crmcore.ports.marketing.TemplateEngine` over Jinja2's sandbox."""

    def __init__(self) -> None:
        self._env = SandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._compiled = lru_cache(maxsize=256)(self._env.from_string)

    def check(self, source: str) -> frozenset[str]:
        try:
            tree = self._env.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateRejected(f"line {exc.lineno}: {exc.message}") from exc
        bound = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        refs: set[str] = set()
        for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Const, nodes.Name)):
            if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
                raise TemplateRejected(f"attribute {node.attr!r} is not allowed")
            if _dunder_string(node):
                raise TemplateRejected(f"the name {node.value!r} is not allowed")  # type: ignore[attr-defined]
            if (
                isinstance(node, nodes.Name)
                and node.ctx == "load"
                and node.name not in TEMPLATE_ROOTS | {"loop"}
                and node.name not in bound
            ):
                allowed = ", ".join(sorted(TEMPLATE_ROOTS))
                raise TemplateRejected(f"unknown name {node.name!r} (use {allowed})")
        for f in tree.find_all(nodes.Filter):
            if f.name in _FORBIDDEN_FILTERS:
                raise TemplateRejected(f"the filter {f.name!r} is not allowed")
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            ref = _reference(node)
            if ref is not None and ref.split(".", 1)[0] in TEMPLATE_ROOTS:
                refs.add(ref)
        for name in tree.find_all(nodes.Name):
            if name.ctx == "load" and name.name in TEMPLATE_ROOTS:
                refs.add(name.name)
        # keep the deepest: ``contact.first_name`` says more than ``contact``
        return frozenset(r for r in refs if not any(o.startswith(r + ".") for o in refs))

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        try:
            template = self._compiled(source)
            return template.render(context)
        except UndefinedError as exc:
            raise MissingVariable(_missing(exc), str(exc)) from exc
        except SecurityError as exc:
            raise TemplateRejected(str(exc)) from exc
        except TemplateSyntaxError as exc:
            raise TemplateRejected(f"line {exc.lineno}: {exc.message}") from exc


def _dunder_string(node: nodes.Node) -> bool:
    """A string constant starting with ``_`` or holding ``__`` (an attribute name)."""
    return (
        isinstance(node, nodes.Const)
        and isinstance(node.value, str)
        and (node.value.startswith("_") or "__" in node.value)
    )


def _missing(exc: UndefinedError) -> str:
    """The attribute or name an ``UndefinedError`` message names."""
    text = str(exc)
    if "has no attribute" in text:
        return text.rsplit("has no attribute", 1)[1].strip().strip("'\"")
    if text.startswith("'") and "' is undefined" in text:
        return text.split("'", 2)[1]
    return text
