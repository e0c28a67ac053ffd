"""lean_typing.NamedTuple builds at run time what typing.NamedTuple builds, without `typing`."""

from __future__ import annotations

import typing

import pytest

from shared_gateway.relay import lean_typing


def _define(base: type) -> type:
    class Point(base):  # type: ignore[misc, valid-type]
        """A point."""

        x: int
        y: int = 0
        label: str = "origin"

        @property
        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

        def moved(self, dx: int) -> Point:
            return self._replace(x=self.x + dx)

        @staticmethod
        def unit() -> int:
            return 1

    return Point


LEAN, TYPED = _define(lean_typing.NamedTuple), _define(typing.NamedTuple)


@pytest.mark.parametrize("cls", [LEAN, TYPED], ids=["lean", "typing"])
def test_a_record_behaves_as_typing_builds_it(cls: type) -> None:
    point = cls(3, y=-4)
    assert point == (3, -4, "origin") and isinstance(point, tuple)
    assert (point.x, point.y, point.label, point.norm, point.unit()) == (3, -4, "origin", 7, 1)
    assert point.moved(2) == cls(5, -4) and type(point.moved(2)) is cls
    assert cls._fields == ("x", "y", "label")
    assert cls._field_defaults == {"y": 0, "label": "origin"}
    assert cls.__doc__ == "A point." and cls.__name__ == "Point"
    assert cls.__qualname__.endswith("_define.<locals>.Point")
    assert cls.__module__ == __name__
    assert list(cls.__annotations__) == ["x", "y", "label"]
    with pytest.raises(AttributeError):
        point.z = 1  # no instance dictionary: as small as a tuple
    with pytest.raises(TypeError):
        cls()  # x has no default


def test_lean_and_typing_records_agree_on_their_public_surface() -> None:
    public = {name for name in dir(TYPED) if not name.startswith("__")}
    assert public == {name for name in dir(LEAN) if not name.startswith("__")}


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows one with a default"):

        class Broken(lean_typing.NamedTuple):
            a: int = 1
            b: int


def test_deriving_from_a_record_and_something_else_is_refused() -> None:
    with pytest.raises(TypeError, match="derives from NamedTuple alone"):

        class Mixed(lean_typing.NamedTuple, dict):  # type: ignore[misc]
            a: int


def test_type_checking_is_false_at_run_time() -> None:
    assert lean_typing.TYPE_CHECKING is False
