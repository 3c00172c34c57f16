"""Keras's way of writing an optimizer, beside nnlite's (``slot_layout`` and ``update(w, g, lr, state)``): ``build``
adds state with ``add_variable_from_reference``, ``update_step(gradient, variable, learning_rate)`` changes one
variable with ``assign``, ``assign_add`` and ``assign_sub``. A class that overrides ``update_step`` is stepped through
it; every optimizer also answers ``update_step`` for one variable, as Keras's do."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..variables import Variable


class KerasSteps:
    """The optimizer methods of Keras's extension API (mixed into ``Optimizer``).

    Example:
        >>> import numpy as np, nnlite
        >>> class Momentum(nnlite.optimizers.Optimizer):  # written as for Keras: v <- 0.9 v + g, w <- w - lr v
        ...     def build(self, var_list):
        ...         super().build(var_list)
        ...         self.velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        ...     def update_step(self, gradient, variable, learning_rate):
        ...         v = self.velocities[self._get_variable_index(variable)]
        ...         self.assign(v, 0.9 * v + gradient)
        ...         self.assign_sub(variable, learning_rate * v)
        >>> w = nnlite.Variable(np.array([1.0, 2.0]), name="w")
        >>> opt = Momentum(learning_rate=0.5)
        >>> for _ in range(2):
        ...     opt.apply_gradients([(np.array([1.0, -1.0]), w)])
        >>> w.numpy(), [v.path for v in opt.variables]
        (array([-0.45,  3.45]), ['momentum/iteration', 'momentum/learning_rate', 'momentum/w_velocity'])
    """

    _index: dict[Variable, int]
    _slot_variables: list[Variable]
    name: str

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None, aggregation: str = "none",
                     layout: Any = None, name: str | None = None) -> Variable:
        """A new state variable of the optimizer, listed in ``variables`` after those made before it.

        Args:
            shape: its shape.
            initializer: an initializer (name or object) for its first value.
            dtype: its dtype (default floatx).
            aggregation: Keras's distribution setting (accepted; nnlite runs on one device).
            layout: Keras's distribution layout (accepted, unused).
            name: its name.
        """
        from .. import config, initializers

        dtype = np.dtype(dtype or config.floatx())
        value = np.asarray(initializers.get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
        variable = Variable(value, name or "variable", trainable=False, path=f"{self.name}/{name or 'variable'}")
        self._slot_variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> Variable:
        """A state variable shaped as ``reference_variable``, named ``<its path>_<name>`` as Keras names it.

        Args:
            reference_variable: the model variable it belongs to.
            name: the state's name ("momentum", ...).
            initializer: an initializer for its first value.
        """
        full = f"{reference_variable.path.replace('/', '_')}_{name}"
        return self.add_variable(reference_variable.shape, initializer, reference_variable.dtype, name=full)

    @staticmethod
    def assign(variable: Variable, value: Any) -> None:
        """variable <- value (in place).

        Args:
            variable: the variable.
            value: its new value.
        """
        variable.value[...] = np.asarray(value)

    @staticmethod
    def assign_add(variable: Variable, value: Any) -> None:
        """variable <- variable + value (in place).

        Args:
            variable: the variable.
            value: what to add.
        """
        variable.value += np.asarray(value, variable.value.dtype)

    @staticmethod
    def assign_sub(variable: Variable, value: Any) -> None:
        """variable <- variable - value (in place).

        Args:
            variable: the variable.
            value: what to subtract.
        """
        variable.value -= np.asarray(value, variable.value.dtype)

    def _get_variable_index(self, variable: Variable) -> int:
        """The position of ``variable`` among those the optimizer was built for (Keras's name)."""
        return self._index[variable]

    def update_step(self, gradient: Any, variable: Variable, learning_rate: Any) -> None:
        """One variable's step (Keras's extension point): by default nnlite's ``update`` on its value and slots.

        Args:
            gradient: the variable's gradient.
            variable: the variable, changed in place.
            learning_rate: the learning rate of this step.
        """
        w = variable.value
        self.t = int(self._iterations.value) + 1
        self.update(w, np.asarray(gradient, w.dtype), w.dtype.type(learning_rate), self._state[self._index[variable]])
