"""The two names of `typing` the relay needs at run time, without importing `typing`.

Why: the Lambda runtime does not load `typing`, and at a cold start it cost the relay about
8 ms of its own (3 ms to import, then each `typing.NamedTuple` class compiles every field's
string annotation into a ForwardRef: 18 classes, 77 fields), against about 1.5 ms for the
same classes built on `collections.namedtuple` (`bench/relay_bench.py`, cold start section).

For a type checker this module is `typing`'s (`TYPE_CHECKING` is true for it, so it reads the
first branch): `class Finding(NamedTuple): ...` is checked as a typing.NamedTuple. At run time
`NamedTuple` builds the same `collections.namedtuple` that typing.NamedTuple does — fields
in annotation order, trailing defaults, methods and properties copied on — without reading
the annotations. Modules import annotation-only names under `if TYPE_CHECKING:` from here.
"""

from __future__ import annotations

from collections import namedtuple

__all__ = ["TYPE_CHECKING", "NamedTuple"]

TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import NamedTuple
else:
    # What typing.NamedTuple refuses to take from a class body, and what it sets itself.
    _NOT_COPIED = frozenset(
        {"__module__", "__qualname__", "__annotations__", "__new__", "__init__", "__slots__"}
        | {"__getnewargs__", "_fields", "_field_defaults", "_make", "_replace", "_asdict"}
    )

    class _NamedTupleType(type):
        def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
            if not bases:  # NamedTuple itself, the base the classes name
                return super().__new__(mcs, name, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a NamedTuple class derives from NamedTuple alone")
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[field] for field in fields if field in namespace]
            if any(field not in namespace for field in fields[len(fields) - len(defaults) :]):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            record.__qualname__ = str(namespace["__qualname__"])
            record.__annotations__ = namespace.get("__annotations__", {})
            for key, value in namespace.items():
                if key in fields or key in _NOT_COPIED:
                    continue
                setattr(record, key, value)
                set_name = getattr(type(value), "__set_name__", None)
                if set_name is not None:
                    set_name(value, record, key)
            return record

    class NamedTuple(metaclass=_NamedTupleType):
        """`class Name(NamedTuple): field: type = default` as typing has it (see above)."""
