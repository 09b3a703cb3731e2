"""A faster ``attrs.evolve`` for one class, for the hot loops that copy entities.

``attrs.evolve`` looks up the class's fields, loops over them in Python and calls
``__init__`` with every value by keyword on each call. For a slotted class whose
``__init__`` only stores its arguments (no validators, converters, ``on_setattr`` hooks or
``__attrs_post_init__``), :func:`evolver` writes the copy out once, as attrs writes
``__init__``: every slot copied, then the changes stored. Other classes get
``attrs.evolve`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
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
    )


def evolver(cls: type[T]) -> Callable[..., T]:
    """``evolve(inst, **changes)``: what ``attrs.evolve(inst, **changes)`` gives for an
    instance of exactly ``cls`` (an unknown field is a ``TypeError``, as there)."""
    if not _plain(cls):

        def general(inst: T, /, **changes: Any) -> T:
            return attrs.evolve(inst, **changes)  # type: ignore[misc]

        return general
    names = [a.name for a in attrs.fields(cls)]  # type: ignore[arg-type]
    copies = "".join(f"    _set(new, {n!r}, inst.{n})\n" for n in names)
    source = (
        "def evolve(inst, /, **changes):\n"
        "    if not changes.keys() <= _names:\n"
        "        raise TypeError(f'unknown fields: {sorted(changes.keys() - _names)}')\n"
        "    new = _new(cls)\n"
        f"{copies}"
        "    for name, value in changes.items():\n"
        "        _set(new, name, value)\n"
        "    return new\n"
    )
    namespace: dict[str, Any] = {
        "cls": cls,
        "_names": frozenset(names),
        "_new": object.__new__,
        "_set": object.__setattr__,
    }
    exec(compile(source, f"<evolver {cls.__qualname__}>", "exec"), namespace)
    made: Callable[..., T] = namespace["evolve"]
    return made
