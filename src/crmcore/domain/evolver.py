"""A faster ``attrs.evolve`` for one class, for the hot loops that copy entities.

``attrs.evolve`` looks up the class's fields, loops over them in Python and calls
``__init__`` with every value by keyword on each call. For a slotted class whose
``__init__`` only stores its arguments (no validators, converters, ``on_setattr`` hooks or
``__attrs_post_init__``), :func:`evolver` writes the copy out once, as attrs writes
``__init__``: each slot set, through its own descriptor, to its change or else to the
instance's value. Other classes get ``attrs.evolve`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

import attrs

T = TypeVar("T")


def _plain(cls: type[Any]) -> bool:
    """Whether ``cls.__init__`` does nothing but store each argument in its slot."""
    fields = attrs.fields(cls)
    return (
        "__slots__" in cls.__dict__
        and not hasattr(cls, "__attrs_post_init__")
        and not hasattr(cls, "__attrs_pre_init__")
        and all(
            a.init
            and a.alias == a.name
            and a.validator is None
            and a.converter is None
            and a.on_setattr in (None, attrs.setters.NO_OP)
            and a.name.isidentifier()
            for a in fields
        )
        and set(cls.__slots__) - {"__weakref__"} == {a.name for a in fields}
        and all(isinstance(cls.__dict__.get(a.name), MemberDescriptorType) for a in fields)
    )


def evolver(cls: type[T]) -> Callable[..., T]:
    """``evolve(inst, **changes)``: what ``attrs.evolve(inst, **changes)`` gives for an
    instance of exactly ``cls`` (an unknown field is a ``TypeError``, as there)."""
    if not _plain(cls):

        def general(inst: T, /, **changes: Any) -> T:
            return attrs.evolve(inst, **changes)  # type: ignore[misc]

        return general
    names = [a.name for a in attrs.fields(cls)]  # type: ignore[arg-type]
    # a slot's descriptor sets it faster than object.__setattr__ finds that descriptor
    sets = "".join(
        f"    _set_{n}(new, changes.pop({n!r}) if {n!r} in changes else inst.{n})\n" for n in names
    )
    source = (
        "def evolve(inst, /, **changes):\n"
        "    new = _new(cls)\n"
        f"{sets}"
        "    if changes:\n"
        "        raise TypeError(f'unknown fields: {sorted(changes)}')\n"
        "    return new\n"
    )
    namespace: dict[str, Any] = {"cls": cls, "_new": object.__new__}
    namespace.update({f"_set_{n}": cls.__dict__[n].__set__ for n in names})
    exec(compile(source, f"<evolver {cls.__qualname__}>", "exec"), namespace)
    made: Callable[..., T] = namespace["evolve"]
    return made
