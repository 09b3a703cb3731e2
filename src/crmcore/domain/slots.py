"""Positional builders for frozen, slotted attrs records read in bulk.

An attrs ``__init__`` takes keywords and sets each field through a bound
``object.__setattr__``; for records built by the thousand from trusted rows (inbox
entries, interactions read back from canonical JSON) :func:`positional_builder` gives
the same object at about half the cost: every argument, in field order, stored straight
into its slot. Only classes whose ``__init__`` does nothing more (no defaults computed,
validators, converters or post-init) are accepted; ``tests/unit/test_slots.py`` compares
the builders with the constructors.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

import attrs

T = TypeVar("T", bound=attrs.AttrsInstance)


def positional_builder(cls: type[T]) -> Callable[..., T]:
    """``lambda *values: cls(**dict(zip(field names, values)))``, without the keywords.

    Every field must be given, in the order of :func:`attrs.fields`.
    """
    fields = attrs.fields(cls)
    for field in fields:
        slot = cls.__dict__.get(field.name)
        if field.validator is not None or field.converter is not None or field.alias != field.name:
            raise TypeError(f"{cls.__name__}.{field.name} is not a plain field")
        if not isinstance(slot, MemberDescriptorType):
            raise TypeError(f"{cls.__name__}.{field.name} is not a slot")
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        raise TypeError(f"{cls.__name__} does more than set its fields")
    names = [field.name for field in fields]
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for i, name in enumerate(names):
        scope[f"set_{i}"] = cls.__dict__[name].__set__
    params = ", ".join(f"v_{i}" for i in range(len(names)))
    body = "".join(f"    set_{i}(record, v_{i})\n" for i in range(len(names)))
    source = f"def build({params}):\n    record = new(cls)\n{body}    return record\n"
    exec(compile(source, f"<positional builder of {cls.__qualname__}>", "exec"), scope)
    build: Callable[..., T] = scope["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build
