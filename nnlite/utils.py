"""Keras's utils (plot_model, to_categorical, set_random_seed, PyDataset) and helpers for learners: the
gradient check, the network picture, history curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config
from .backend import is_keras_tensor, standardize_dtype  # noqa: F401 (keras.utils exports them too)
from .serialization import (  # noqa: F401 (keras.utils exports them too)
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from .streams import PyDataset as PyDataset  # Keras's keras.utils.PyDataset
from .streams import PyDataset as Sequence  # noqa: F401 (Keras's older name for it)
from .streams import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401 (keras.utils exports them)


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = False, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, splines: str = "ortho",
               **kwargs: Any) -> Any:
    """Keras's layer diagram written to ``to_file`` (its extension picks the format, png without one).

    Drawn with matplotlib rather than pydot and graphviz, so nothing outside pip is needed; arrows are
    straight whatever ``splines`` says. Returns an ``IPython.display.Image`` of the file (shown once
    in Jupyter) when IPython is installed and the file is not a PDF, else None, as Keras does. For
    the neurons-and-weights picture of a small network see ``plot_network``.

    Args:
        model: a built model.
        to_file: the file to write.
        show_shapes: write each layer's input and output shapes in its box.
        show_dtype: write each layer's dtype.
        show_layer_names: write each layer's name beside its class.
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: draw the layers inside nested models.
        dpi: the image's resolution.
        show_layer_activations: write each layer's activation.
        show_trainable: write whether each layer trains.
        splines: accepted for Keras's signature (arrows are straight).
        **kwargs: Keras's removed ``layer_range`` is refused with Keras's error; anything else likewise.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> folder = tempfile.mkdtemp()
        >>> _ = nnlite.utils.plot_model(model, to_file=os.path.join(folder, "model.png"), show_shapes=True)
        >>> os.path.exists(os.path.join(folder, "model.png"))
        True
    """
    import os

    from .plotting import _pyplot, layer_diagram

    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not getattr(model, "built", False):
        raise ValueError("This model has not yet been built. Build the model first by calling `build()` or by "
                         "calling the model on a batch of data.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' (top to bottom) or 'LR' (left to right); "
                         f"received {rankdir!r}.")
    if splines not in ("ortho", "curved", "polyline", "spline", "line"):
        raise ValueError(f"plot_model: splines must be one of 'ortho', 'curved', 'polyline', 'spline', 'line'; "
                         f"received {splines!r}.")
    fig = layer_diagram(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                        show_layer_activations, show_trainable)
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    fig.savefig(to_file, format=extension, dpi=dpi)
    _pyplot().close(fig)  # the file is the result; Jupyter shows the returned Image, once
    if extension == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=to_file)
    with open(to_file, "rb") as image:  # by content, so a name without an extension works too
        data = image.read()
    try:
        return display.Image(data=data, format=extension)
    except ValueError:  # a format Jupyter cannot show inline (eps, ps, ...): the file is written all the same
        return None


def plot_network(model: Any, show_weights: bool | None = None, ax: Any = None) -> Any:
    """The network drawn as neurons and connections, w and b on the lines of small networks
    (see ``nnlite.plotting.plot_network``). Returns the matplotlib Figure.

    Args:
        model: a built model.
        show_weights: write w and b on the lines; ``None`` does so for small networks.
        ax: a matplotlib Axes to draw on; ``None`` makes a figure.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> figure = nnlite.utils.plot_network(model)  # a matplotlib Figure
        >>> figure.get_size_inches().round(1).tolist()
        [5.2, 2.6]
    """
    from .plotting import plot_network as draw

    return draw(model, show_weights, ax)


def plot_history(history: Any, metrics: list[str] | None = None, ax: Any = None) -> Any:
    """Training curves, validation dashed (see ``nnlite.plotting.plot_history``).

    Args:
        history: the ``History`` that ``fit`` returned (or its ``history`` dict's owner).
        metrics: the names to plot, one panel each; ``None`` for every name without ``val_``.
        ax: a matplotlib Axes to draw every curve on; ``None`` makes a figure.

    Example:
        >>> import numpy as np, nnlite
        >>> model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(1, kernel_initializer="ones")])
        >>> model.compile("sgd", "mse")
        >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0)
        >>> figure = nnlite.utils.plot_history(history)  # a matplotlib Figure
        >>> len(figure.axes)
        1
    """
    from .plotting import plot_history as draw

    return draw(history, metrics, ax)


def set_random_seed(seed: int) -> None:
    """Make unseeded initialisers and fit's shuffling reproducible (kept in ``nnlite.config``).

    Args:
        seed: an int.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.utils.set_random_seed(1)
        >>> a = nnlite.layers.Dense(2)
        >>> a.build((None, 2))
        >>> nnlite.utils.set_random_seed(1)
        >>> b = nnlite.layers.Dense(2)
        >>> b.build((None, 2))
        >>> bool((a.kernel.numpy() == b.kernel.numpy()).all())
        True
        >>> nnlite.config.set_rng(None)
    """
    config.set_rng(seed)


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Sequences of different lengths as one array (samples, maxlen, ...): each cut to ``maxlen`` (its first
    entries dropped with ``truncating="pre"``, its last with "post") and filled with ``value`` before it
    (``padding="pre"``) or after it ("post"), as Keras's pad_sequences does. maxlen: the longest by default.

    Args:
        sequences: a list of sequences (lists or arrays, each of any length).
        maxlen: the length of the result; ``None`` for the longest sequence's.
        dtype: the dtype of the result (a string dtype for text tokens).
        padding: "pre" or "post": where the padding goes.
        truncating: "pre" or "post": which end of a longer sequence is cut.
        value: the padding value.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.utils.pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    lengths, entry_shape = [], None
    for sequence in sequences:
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {sequence!r}") from None
        if entry_shape is None and len(sequence):
            entry_shape = np.asarray(sequence).shape[1:]
    entry_shape = entry_shape or ()
    longest = int(np.max(lengths)) if lengths else 0
    maxlen = longest if maxlen is None else int(maxlen)
    is_text = np.issubdtype(np.dtype(dtype), np.str_) if dtype is not object else True
    if isinstance(value, str) and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\nYou should set "
                         "`dtype=object` for variable length strings.")
    out = np.full((len(lengths), maxlen) + entry_shape, value, dtype=dtype)
    for row, sequence in enumerate(sequences):
        if not len(sequence) or maxlen == 0:
            continue
        kept = np.asarray(sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen], dtype=dtype)
        if kept.shape[1:] != entry_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {row} is different from "
                             f"expected shape {entry_shape}")
        if padding == "post":
            out[row, :len(kept)] = kept
        else:
            out[row, maxlen - len(kept):] = kept
    return out


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """x divided by its ``order``-norm along ``axis`` (rows of zeros stay zeros).

    Args:
        x: the array to normalise.
        axis: the axis along which each vector is normalised.
        order: the norm's order (2: Euclidean).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def clear_session(free_memory: bool = True) -> None:
    """Forget what Keras keeps between models (``nnlite.config.clear_session``).

    Args:
        free_memory: accepted as Keras's (there is no device memory to free here).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.utils.clear_session()
        >>> nnlite.Sequential().name, nnlite.Sequential().name
        ('sequential', 'sequential_1')
    """
    config.clear_session(free_memory)


def to_categorical(x: Any, num_classes: int | None = None, dtype: str | None = None) -> np.ndarray:
    """One-hot rows from integer class labels: (n,) -> (n, num_classes).

    Args:
        x: integer class labels (a trailing axis of 1 is dropped).
        num_classes: the number of classes; ``None`` for the largest label + 1.
        dtype: the dtype of the result; ``None`` for ``config.floatx()``.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.utils.to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    y = np.asarray(x)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    labels = y.astype(np.int64)
    if np.any(labels != y) or np.any(labels < 0):
        raise ValueError("to_categorical expects non-negative integer labels.")
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"Label {int(labels.max())} is out of range for num_classes={num_classes}.")
    return (labels[..., None] == np.arange(num_classes)).astype(dtype or config.floatx())


def check_gradients(model: Any, x: Any, y: Any, sample_weight: Any = None,
                    epsilon: float = 1e-6) -> dict[str, float]:
    """Compare backprop's gradients with central differences, in float64.

    For every weight w: (L(w + h) - L(w - h)) / 2h, with h = epsilon * max(1, |w|),
    against the gradient that ``loss_and_gradients`` leaves on ``variable.grad``. Both
    are taken in inference mode (Dropout off), so that L is a fixed function of w.
    Returns the relative error ||g - g_num|| / (||g|| + ||g_num||) per weight array, keyed
    "layer/weight". The model's weights are restored before returning. Errors below
    ~1e-6 mean backprop is right; a wrong derivative gives errors near 1.

    Args:
        model: a compiled model (its loss is differentiated).
        x: the inputs of one batch.
        y: its labels.
        sample_weight: a weight per sample, or None.
        epsilon: the relative step h of the central differences.

    Example:
        >>> import numpy as np, nnlite
        >>> layers = [nnlite.Input((2,)), nnlite.layers.Dense(3, activation="tanh"), nnlite.layers.Dense(1)]
        >>> model = nnlite.Sequential(layers)
        >>> model.compile("sgd", "mse")
        >>> errors = nnlite.utils.check_gradients(model, np.ones((4, 2)), np.zeros((4, 1)))
        >>> max(errors.values()) < 1e-6
        True
    """
    from .layers import Context

    if not model.compiled:
        raise RuntimeError("check_gradients needs a compiled model (it uses the model's loss).")
    x64 = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    y64 = y if model.loss.sparse_labels else y.astype(np.float64)
    model.check_data(x64)
    saved = [(layer, layer.dtype) for layer in model.layers]
    values = [(w, w.value) for w in model.weights]
    loss_dtype = model.loss.dtype
    try:
        for layer, _ in saved:  # run the whole check in float64
            layer.dtype = "float64"
        for w, value in values:
            w.value = value.astype(np.float64)
        model.loss.dtype = "float64"
        model.loss_and_gradients(x64, y64, sample_weight, ctx=Context(training=False))
        errors = {}
        names = {id(w): f"{layer.name}/{w.name}" for layer in model.layers for w in layer.weights}
        for w in model.trainable_weights:
            g = w.grad.copy()
            g_num = np.empty_like(g)
            for idx in np.ndindex(w.shape):
                original = w.value[idx]
                h = epsilon * max(1.0, abs(original))
                w.value[idx] = original + h
                up = model.compute_loss(x64, y64, sample_weight=sample_weight, training=False)
                w.value[idx] = original - h
                down = model.compute_loss(x64, y64, sample_weight=sample_weight, training=False)
                w.value[idx] = original
                g_num[idx] = (up - down) / (2 * h)
            scale = max(float(np.linalg.norm(g) + np.linalg.norm(g_num)), 1e-300)
            errors[names[id(w)]] = float(np.linalg.norm(g - g_num)) / scale
        return errors
    finally:
        model.loss.dtype = loss_dtype
        for layer, dtype in saved:
            layer.dtype = dtype
        for w, value in values:
            w.value = value
            w.grad = None
