"""What differs between the Python versions dockerfix supports.

`cached_property`: before 3.12, `functools.cached_property` takes a lock on every first
access (CPython issue 87634); trees are built fresh for every check, so their views are first
read thousands of times per file and the lock cost ~5% of a check. From 3.12 on the standard
one is lock-free and used as is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

if sys.version_info >= (3, 12):
    from functools import cached_property
else:

    class cached_property(Generic[T]):
        """`functools.cached_property` without the lock (nodes are never shared by threads
        while a view is first computed)."""

        def __init__(self, func: Callable[[Any], T]) -> None:
            self.func = func
            self.attrname = func.__name__
            self.__doc__ = func.__doc__

        def __set_name__(self, owner: type[Any], name: str) -> None:
            self.attrname = name

        @overload
        def __get__(self, instance: None, owner: type[Any] | None = None) -> cached_property[T]: ...

        @overload
        def __get__(self, instance: object, owner: type[Any] | None = None) -> T: ...

        def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
            if instance is None:
                return self
            value = instance.__dict__[self.attrname] = self.func(instance)
            return value


__all__ = ["cached_property"]
