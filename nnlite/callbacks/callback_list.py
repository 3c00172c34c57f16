"""CallbackList: every hook of fit, evaluate and predict handed to each callback in turn (Keras's container, also
for a training loop of your own)."""

from __future__ import annotations

from typing import Any

from .base import Callback, History
from .progress import ProgbarLogger

__all__ = ["CallbackList"]


def _flat(callbacks: Any) -> list[Callback]:
    """The callbacks of a list that may nest lists (Keras flattens them)."""
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flat(item)]
    return [callbacks]


class CallbackList:
    """Calls each hook on every callback, in order: ``hooks.on_epoch_end(epoch, logs)`` runs
    ``cb.on_epoch_end(epoch, logs)`` for each cb.

    Args:
        callbacks: the callbacks, called in this order (a list, possibly nested, or None).
        add_history: add a History callback if the list has none (``model.history`` is then it).
        add_progbar: add a ProgbarLogger if the list has none.
        model: the model they watch (each gets ``set_model``).
        **params: what fit tells them (``verbose``, ``epochs``, ``steps``); each gets ``set_params``.

    Example:
        >>> import numpy as np, nnlite
        >>> hooks = nnlite.callbacks.CallbackList(add_history=True, epochs=1)
        >>> hooks.on_epoch_end(0, {"loss": 0.5})
        >>> [type(cb).__name__ for cb in hooks.callbacks], hooks.params
        (['History'], {'epochs': 1})
    """

    def __init__(self, callbacks: Any = None, add_history: bool = False, add_progbar: bool = False,
                 model: Any = None, **params: Any) -> None:
        self.callbacks: list[Callback] = _flat(callbacks) if callbacks else []
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.model: Any = None
        self.params: dict[str, Any] = {}
        self.set_model(model)
        self.set_params(params)

    def set_model(self, model: Any) -> None:
        """Hand ``model`` to every callback (and the History, if there is one, to ``model.history``).

        Args:
            model: the model, or None (nothing is done).
        """
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        """Hand ``params`` to every callback (when there are any).

        Args:
            params: what fit tells the callbacks.
        """
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def wants(self, hook: str) -> bool:
        """Whether any callback does something in ``hook`` (so fit can skip per-batch work)."""
        delegate = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(hook)
        for cb in self.callbacks:
            own = getattr(cb, hook, None)
            if own is None:
                continue
            if getattr(own, "__func__", None) is not getattr(Callback, hook):
                return True  # overridden, or a plain function set on the instance
            if delegate and getattr(getattr(cb, delegate), "__func__", None) is not getattr(Callback, delegate):
                return True
        return False

    def __getattr__(self, hook: str):
        if not hook.startswith("on_"):
            raise AttributeError(hook)
        indexed = "batch" in hook or "epoch" in hook  # (index, logs) rather than (logs)

        def call(*args):
            if indexed and len(args) == 1:
                args = (args[0], {})
            elif not indexed and not args:
                args = ({},)
            if args[-1] is None:  # every hook gets a logs dict, as Keras hands it over
                args = (*args[:-1], {})
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call
