"""Reverse-mode differentiation of what you write with ``nnlite.ops``: the tape.

While a :class:`GradientTape` records, every op whose input the tape watches (a trainable
Variable, a tensor given to ``tape.watch``, or the output of an op already recorded) leaves a
:class:`Node`: the op's inputs and its vector-Jacobian product (VJP),

    forward:   a = f(x_1, ..., x_n)
    VJP:       grad_x_k = J_f(x_k)^T grad_a          for every input x_k,

written next to the op in ``nnlite.ops``. ``tape.gradient(L, w)`` then seeds grad_L = 1 (or the
output gradients given) and visits the nodes from the newest to the oldest, so that every node is
reached after all the nodes that read its output:

    grad_x_k += VJP_k(grad_a)                          summed over every use of x_k.

A built-in layer enters the tape as one node whose VJP is its hand-written ``backward``, so Dense
stays ``kernel.grad = x.T @ grad_z`` whether fit or your own training step runs it.

The graph hangs off the tensors (each recorded output keeps its node, each node its inputs), so
it lives as long as what you keep of the forward pass, and nothing is recorded outside a tape.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor
from .variables import Variable

# name -> op of nnlite.ops (filled as they are defined): what a graph's Operation node may name
OPS: dict[str, Callable[..., Any]] = {}
_creation = itertools.count()  # the order nodes were made in: a node is always newer than its inputs' nodes
_local = threading.local()  # this thread's active tapes (a tape records in the thread that opened it)


class Node:
    """One recorded op: its ``inputs`` (tensors, variables) and ``vjp``, which maps the gradients at its
    outputs (a list, one per output) and which inputs need a gradient (a list of bools) to one gradient per
    input (None where none flows or none is needed).

    Args:
        inputs: the op's arguments the tape follows (tensors and variables).
        vjp: ``vjp(grads, needed)``, as above.
        n_outputs: how many outputs the op has.
        name: what made it (an op's, layer's, model's or loss's name), shown in errors and traces.

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([3.0]))
        >>> with nnlite.GradientTape() as tape:
        ...     a = nnlite.ops.square(w)
        >>> a.tape_node.name, a.tape_node.n_outputs
        ('square', 1)
    """

    __slots__ = ("inputs", "vjp", "order", "n_outputs", "name")

    def __init__(self, inputs: list[Any], vjp: Callable[..., Sequence[Any]], n_outputs: int, name: str = "") -> None:
        self.name = name  # what made it: an op's name, a layer's, a model's, a loss's
        self.inputs = inputs
        self.vjp = vjp
        self.n_outputs = n_outputs
        self.order = next(_creation)


def active_tapes() -> list[GradientTape]:
    """The tapes recording in this thread, innermost last.

    Example:
        >>> import numpy as np, nnlite
        >>> with nnlite.GradientTape() as tape:
        ...     print(len(nnlite.autodiff.active_tapes()))
        1
        >>> len(nnlite.autodiff.active_tapes())
        0
    """
    tapes = getattr(_local, "tapes", None)
    if tapes is None:
        tapes = _local.tapes = []
    return tapes


def recording() -> bool:
    """Whether an op run now would be recorded (some tape is open and not paused).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.autodiff.recording()
        False
        >>> with nnlite.GradientTape():
        ...     print(nnlite.autodiff.recording())
        True
    """
    return any(not tape.paused for tape in active_tapes())


def in_step() -> bool:
    """Whether a training or test step is running (or a tape records): there, as inside Keras's compiled
    steps, a sigmoid's or softmax's output carries its logits for the crossentropies.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.autodiff.in_step()
        False
        >>> with nnlite.autodiff.step_scope():
        ...     print(nnlite.autodiff.in_step())
        True
    """
    return recording() or getattr(_local, "steps", 0) > 0


class step_scope:  # noqa: N801 (used as a context: ``with step_scope():``)
    """Marks a training or test step (see :func:`in_step`).

    Example:
        >>> import numpy as np, nnlite
        >>> with nnlite.autodiff.step_scope():
        ...     print(nnlite.autodiff.in_step())
        True
    """

    def __enter__(self) -> None:
        _local.steps = getattr(_local, "steps", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _local.steps -= 1


def is_tracked(value: Any) -> bool:
    """Whether a recording tape follows ``value``: the output of a recorded op, a tensor a tape watches, or a
    variable one watches (every trainable variable, unless the tape was told otherwise).

    Args:
        value: any argument of an op.

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0]))
        >>> nnlite.autodiff.is_tracked(w)
        False
        >>> with nnlite.GradientTape():
        ...     print(nnlite.autodiff.is_tracked(w))
        True
    """
    if isinstance(value, Tensor):
        return value.tape_node is not None or value.watched
    if isinstance(value, Variable):
        return any(tape.watches(value) for tape in active_tapes() if not tape.paused)
    return False


def value_of(x: Any) -> Any:
    """The plain array behind a tensor or variable (Python numbers stay numbers).

    Args:
        x: a tensor, a variable, an array or a Python number.

    Example:
        >>> import numpy as np, nnlite
        >>> type(nnlite.autodiff.value_of(nnlite.Variable(np.zeros(2)))).__name__
        'ndarray'
    """
    if isinstance(x, Tensor):
        return x.view(np.ndarray)
    if isinstance(x, Variable):
        return x.value
    return x


def record(outputs: list[np.ndarray], inputs: list[Any], vjp: Callable[..., Sequence[Any]], name: str = ""
           ) -> list[Tensor]:
    """The ``outputs`` of an op as tensors that carry its node (inputs that are not tracked get no gradient).

    Args:
        outputs: the op's results, arrays.
        inputs: its arguments the tape follows.
        vjp: its vector-Jacobian product, ``vjp(grads, needed)`` (see :class:`Node`).
        name: the op's name.

    Example:
        >>> import numpy as np, nnlite
        >>> x = nnlite.Variable(np.array([2.0]))
        >>> with nnlite.GradientTape() as tape:
        ...     [a] = nnlite.autodiff.record([np.array([8.0])], [x], lambda g, needed=None: [g[0] * 12.0], "cube")
        >>> tape.gradient(a, x)  # the VJP given: 3 x^2 g
        Tensor([12.])
    """
    node = Node(inputs, vjp, len(outputs), name)
    tensors = []
    for k, out in enumerate(outputs):
        t = np.asarray(out).view(Tensor)
        t.tape_node, t.tape_index = node, k
        tensors.append(t)
    return tensors


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """grad summed over the axes an input of ``shape`` was broadcast along, so it has the input's shape.

    Args:
        grad: the gradient at the broadcast result.
        shape: the input's shape before broadcasting.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.autodiff.unbroadcast(np.ones((3, 2)), (2,))  # summed over the broadcast rows
        array([3., 3.])
    """
    grad = np.asarray(grad)
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class GradientTape:
    """Records the ops run inside ``with GradientTape() as tape:`` so that ``tape.gradient(target, sources)``
    gives d target / d source for each source (TensorFlow's tape, over ``nnlite.ops``).

    Args:
        persistent: allow several ``gradient`` calls (else one; the recorded graph is then let go).
        watch_accessed_variables: watch every trainable variable an op reads (else only what ``watch`` names).

    Example::

        with nnlite.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, 2.0]))
        >>> with nnlite.GradientTape() as tape:
        ...     loss = nnlite.ops.sum(w * w)
        >>> tape.gradient(loss, w)  # 2 w
        Tensor([2., 4.])
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self.paused = False
        self.used = False
        self.watched_ids: set[int] = set()
        self.watched: list[Any] = []  # what watch() named, and the variables the tape saw (watched_variables)

    def __enter__(self) -> GradientTape:
        active_tapes().append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        tapes = active_tapes()
        if self in tapes:
            tapes.remove(self)

    def watches(self, variable: Variable) -> bool:
        if id(variable) in self.watched_ids:
            return True
        if self.watch_accessed_variables and variable.trainable:
            self.watched_ids.add(id(variable))
            self.watched.append(variable)
            return True
        return False

    def watch(self, tensor: Any) -> None:
        """Follow ``tensor`` (a Tensor, a Variable, or a list of them) from now on."""
        for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if isinstance(t, Variable):
                if id(t) not in self.watched_ids:
                    self.watched_ids.add(id(t))
                    self.watched.append(t)
            elif isinstance(t, Tensor):
                t.watched = True
                self.watched.append(t)
            else:
                raise ValueError(f"GradientTape.watch takes tensors (nnlite.ops.convert_to_tensor) or variables; "
                                 f"got {type(t).__name__}.")

    def watched_variables(self) -> list[Variable]:
        """The variables this tape watched, in the order it met them."""
        return [v for v in self.watched if isinstance(v, Variable)]

    def stop_recording(self) -> Any:
        """A context in which this tape records nothing."""
        tape = self

        class Paused:
            def __enter__(self) -> None:
                tape.paused = True

            def __exit__(self, *exc: Any) -> None:
                tape.paused = False

        return Paused()

    def reset(self) -> None:
        """Forget what was watched (the graph already recorded hangs off its tensors and is not undone)."""
        self.watched_ids.clear()
        self.watched.clear()

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: str = "none") -> Any:
        """d target / d source for every source, in the structure ``sources`` was given (a variable, a
        tensor, a list or a dict of them). A target that is not a scalar is summed (the seed is ones unless
        ``output_gradients`` says otherwise); a source the target does not depend on gets None (or zeros
        with ``unconnected_gradients="zero"``)."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}; expected "
                             "'none' or 'zero'.")
        if self.used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of gradients "
                               "(or jacobians); use GradientTape(persistent=True) for more.")
        self.used = True
        flat_sources = list(sources.values()) if isinstance(sources, dict) else (
            list(sources) if isinstance(sources, (list, tuple)) else [sources])
        targets = list(target) if isinstance(target, (list, tuple)) else [target]
        seeds = (list(output_gradients) if isinstance(output_gradients, (list, tuple)) and isinstance(
            target, (list, tuple)) else [output_gradients] * len(targets))
        grads = backpropagate(targets, seeds, flat_sources)
        if unconnected_gradients == "zero":
            grads = [np.zeros(np.shape(value_of(s)), dtype=_float_dtype(value_of(s))) if g is None else g
                     for g, s in zip(grads, flat_sources)]
        grads = [None if g is None else np.asarray(g).view(Tensor) for g in grads]
        if isinstance(sources, dict):
            return dict(zip(sources, grads))
        return grads if isinstance(sources, (list, tuple)) else grads[0]

    def jacobian(self, target: Any, source: Any) -> Tensor:
        """d target_i / d source_j with the target's shape followed by the source's (one backward pass per
        entry of the target)."""
        t = value_of(target)
        s = np.asarray(value_of(source))
        rows = []
        for i in range(int(np.size(t))):
            seed = np.zeros(np.shape(t), dtype=_float_dtype(t))
            seed.flat[i] = 1
            g = backpropagate([target], [seed], [source])[0]
            rows.append(np.zeros(s.shape, dtype=_float_dtype(s)) if g is None else g)
        self.used = True
        return np.asarray(rows).reshape(np.shape(t) + s.shape).view(Tensor)


def _float_dtype(x: Any) -> np.dtype:
    dtype = np.asarray(x).dtype
    return dtype if dtype.kind in "fc" else np.dtype(np.float32)


def backpropagate(targets: list[Any], seeds: list[Any], sources: list[Any]) -> list[np.ndarray | None]:
    """The sweep: grad = seed at each target, then grad_x += VJP(grad_a) from the newest node to the oldest;
    returns the gradient reaching each source (None if none does).

    Args:
        targets: the tensors to differentiate (outputs of recorded ops).
        seeds: the gradient to start from at each target (ones for a loss).
        sources: the variables and tensors whose gradients are wanted.

    Example:
        >>> import numpy as np, nnlite
        >>> w = nnlite.Variable(np.array([1.0, 2.0]))
        >>> with nnlite.GradientTape() as tape:
        ...     a = nnlite.ops.sum(w * 3.0)
        >>> nnlite.autodiff.backpropagate([a], [np.array(1.0)], [w])
        [array([3., 3.])]
    """
    grads: dict[int, list[Any]] = {}  # id(node) -> gradients at its outputs
    leaves: dict[int, Any] = {}  # id(variable or watched tensor) -> its gradient
    nodes: dict[int, Node] = {}

    def add(store: dict[int, Any], key: int, g: Any) -> None:
        store[key] = g if key not in store else store[key] + g

    def seed_into(t: Any, seed: Any) -> None:
        value = np.asarray(value_of(t))
        g = np.ones_like(value) if seed is None else np.broadcast_to(np.asarray(value_of(seed), value.dtype),
                                                                      value.shape)
        if isinstance(t, Tensor) and t.tape_node is not None:
            node = t.tape_node
            nodes[id(node)] = node
            slots = grads.setdefault(id(node), [None] * node.n_outputs)
            slots[t.tape_index] = g if slots[t.tape_index] is None else slots[t.tape_index] + g
        elif isinstance(t, (Tensor, Variable)):
            add(leaves, id(t), g)

    for t, seed in zip(targets, seeds):
        seed_into(t, seed)
    # every node the targets depend on, newest first (a node is newer than the nodes it reads)
    stack = list(nodes.values())
    while stack:
        node = stack.pop()
        for x in node.inputs:
            parent = x.tape_node if isinstance(x, Tensor) else None
            if parent is not None and id(parent) not in nodes:
                nodes[id(parent)] = parent
                stack.append(parent)
    wanted = {(id(s.tape_node), s.tape_index) for s in sources if isinstance(s, Tensor) and s.tape_node is not None}
    inner: dict[tuple[int, int], Any] = {}  # the gradient reaching a source that is itself an op's output
    ordered = sorted(nodes.values(), key=lambda n: n.order)
    # which nodes lead to a source: only their inputs' gradients are computed
    source_ids = {id(s) for s in sources if not (isinstance(s, Tensor) and s.tape_node is not None)}
    leads: set[int] = {key[0] for key in wanted}
    for node in ordered:  # oldest first: a node's inputs are settled before it
        if any((id(x) in source_ids) or (isinstance(x, Tensor) and id(x.tape_node) in leads) for x in node.inputs):
            leads.add(id(node))
    for node in reversed(ordered):
        slots = grads.pop(id(node), None)
        if slots is None or all(g is None for g in slots) or id(node) not in leads:
            continue
        for k, g in enumerate(slots):
            if (id(node), k) in wanted:
                inner[(id(node), k)] = g
        out_grads = list(slots)
        needed = [id(x) in source_ids or (isinstance(x, Tensor) and id(x.tape_node) in leads) for x in node.inputs]
        input_grads = node.vjp(out_grads, needed)
        for x, g in zip(node.inputs, input_grads):
            if g is None or not isinstance(x, (Tensor, Variable)):
                continue
            if isinstance(x, Tensor) and x.tape_node is not None:
                parent_slots = grads.setdefault(id(x.tape_node), [None] * x.tape_node.n_outputs)
                k = x.tape_index
                parent_slots[k] = g if parent_slots[k] is None else parent_slots[k] + g
            else:
                add(leaves, id(x), g)
    out = []
    for s in sources:
        if not isinstance(s, (Tensor, Variable)):
            raise ValueError(f"gradient() sources must be variables or tensors; got {type(s).__name__}.")
        if isinstance(s, Tensor) and s.tape_node is not None:
            out.append(inner.get((id(s.tape_node), s.tape_index)))
        else:
            out.append(leaves.get(id(s)))
    return out
