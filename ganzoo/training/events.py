"""A run's callbacks in the order they run, and calling them at an event.

Callbacks (``ganzoo.Callback``: the recipe's duties, callbacks and loggers) run at each event by
``priority``, lower first; equal priorities keep the recipe's order. An event costs nothing for the
callbacks that do not override it: each event's list is worked out once.
"""

from __future__ import annotations

from typing import Any, Sequence

from ganzoo.algorithm import Callback


class Events:
    def __init__(self, callbacks: Sequence[Any]):
        # sorted() is stable: equal priorities keep their order
        self.callbacks = sorted(callbacks, key=lambda callback: getattr(callback, "priority", Callback.priority))
        self._lists: dict[str, list] = {}

    def overriding(self, event: str) -> list:
        """The callbacks that do something at ``event``, in the order they run."""
        if event not in self._lists:
            self._lists[event] = [callback for callback in self.callbacks
                                  if callable(getattr(callback, event, None))
                                  and getattr(type(callback), event, None) is not getattr(Callback, event, None)]
        return self._lists[event]

    def emit(self, event: str, *args: Any) -> None:
        for callback in self.overriding(event):
            getattr(callback, event)(*args)
