"""The template sandbox: what a template may reference, and what it may not reach."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.adapters.templates import SandboxedJinja
from crmcore.domain.templates import TEMPLATE_ROOTS, MissingVariable, TemplateRejected

ENGINE = SandboxedJinja()
_idents = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda s: not s.startswith("_") and "__" not in s
)
_dunders = st.sampled_from(
    ["__class__", "__mro__", "__subclasses__", "__globals__", "__init__", "__builtins__",
     "_private", "__dict__"]
)  # fmt: skip
_roots = st.sampled_from(sorted(TEMPLATE_ROOTS - {"unsubscribe_url"}))
_bases = st.sampled_from(["''", "contact", "contact.name", "facts", "[]", "account.x", "1"])


@settings(max_examples=50)
@given(base=_bases, attr=_dunders, style=st.sampled_from(["dot", "item", "attr_filter"]))
def test_any_reach_for_internals_is_refused_when_added(base: str, attr: str, style: str) -> None:
    expr = {
        "dot": f"{base}.{attr}",
        "item": f"{base}['{attr}']",
        "attr_filter": f"{base}|attr('{attr}')",
    }[style]
    with pytest.raises(TemplateRejected):
        ENGINE.check("Hello {{ " + expr + " }}")


@settings(max_examples=50)
@given(root=_roots, field=_idents, value=st.text(max_size=20))
def test_a_reference_renders_its_value_and_is_reported(root: str, field: str, value: str) -> None:
    source = "<{{ " + f"{root}.{field}" + " }}>"
    assert ENGINE.check(source) == {f"{root}.{field}"}
    assert ENGINE.render(source, {root: {field: value}}) == f"<{value}>"


@settings(max_examples=50)
@given(root=_roots, field=_idents, other=_idents)
def test_a_missing_value_is_an_error_never_empty(root: str, field: str, other: str) -> None:
    source = "{{ " + f"{root}.{field}" + " }}"
    context = {root: {} if other == field else {other: "x"}}
    with pytest.raises(MissingVariable):
        ENGINE.render(source, context)


@settings(max_examples=50)
@given(name=_idents.filter(lambda n: n not in TEMPLATE_ROOTS | {"loop", "true", "false", "none"}))
def test_unknown_names_are_refused(name: str) -> None:
    with pytest.raises(TemplateRejected):
        ENGINE.check("{{ " + name + " }}")


def test_the_issue_example_is_refused() -> None:
    with pytest.raises(TemplateRejected, match="__"):
        ENGINE.check("{{ ''.__class__.__mro__ }}")


def test_loops_and_conditions_over_contact_data_work() -> None:
    source = "{% for t in contact.tags %}{{ t }},{% endfor %}{% if facts.vip %}VIP{% endif %}"
    assert ENGINE.check(source) == {"contact.tags", "facts.vip"}
    assert ENGINE.render(source, {"contact": {"tags": ["a", "b"]}, "facts": {"vip": True}}) == (
        "a,b,VIP"
    )


def test_bad_syntax_is_refused_with_its_line() -> None:
    with pytest.raises(TemplateRejected, match="line 2"):
        ENGINE.check("ok\n{% if %}")
