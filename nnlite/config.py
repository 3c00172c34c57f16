"""Global numeric settings, as in ``keras.config``.

This module is the one place nnlite keeps global state, and only what Keras keeps in
its own ``config``: the default float type, the fuzz factor ``epsilon`` and the
generator behind unseeded random draws (``nnlite.utils.set_random_seed``).
"""

from __future__ import annotations

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")
_rng: np.random.Generator | None = None


def floatx() -> str:
    """The default float type of weights, inputs and outputs: ``"float32"`` unless set.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.floatx()
        'float32'
    """
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type (``"float16"``, ``"float32"`` or ``"float64"``).

    Args:
        value: "float16", "float32" or "float64".

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_floatx("float64")
        >>> nnlite.layers.Dense(2).dtype
        'float64'
        >>> nnlite.config.set_floatx("float32")
    """
    global _FLOATX
    value = str(np.dtype(value).name) if value in _VALID_FLOATX else value
    if value not in _VALID_FLOATX:
        raise ValueError(f"Unknown floatx {value!r}: expected one of {list(_VALID_FLOATX)}.")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used to keep logarithms and divisions finite (1e-7 by default).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.epsilon()
        1e-07
    """
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon`.

    Args:
        value: the new epsilon (default 1e-7, as Keras).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_epsilon(1e-5)
        >>> nnlite.config.epsilon()
        1e-05
        >>> nnlite.config.set_epsilon(1e-7)
    """
    global _EPSILON
    value = float(value)
    if not (value > 0 and np.isfinite(value)):
        raise ValueError(f"epsilon must be a positive finite float, got {value!r}.")
    _EPSILON = value


def default_rng() -> np.random.Generator:
    """The generator used when no seed is given: seeded by ``set_random_seed``, else fresh.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_rng(7)
        >>> a = nnlite.config.default_rng().random()
        >>> nnlite.config.set_rng(7)
        >>> a == nnlite.config.default_rng().random()
        True
        >>> nnlite.config.set_rng(None)
    """
    return _rng if _rng is not None else np.random.default_rng()


def set_rng(seed: int | None) -> None:
    """Seed (or with ``None`` unseed) the generator behind :func:`default_rng`.

    Args:
        seed: an int seed, or None for fresh entropy.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_rng(0)
        >>> first = nnlite.initializers.GlorotUniform()((2,))
        >>> nnlite.config.set_rng(0)
        >>> bool((first == nnlite.initializers.GlorotUniform()((2,))).all())
        True
        >>> nnlite.config.set_rng(None)
    """
    global _rng
    _rng = None if seed is None else np.random.default_rng(seed)


# -- the rest of keras.config's names --------------------------------------------------------------------
_IMAGE_DATA_FORMAT = "channels_last"
_MAX_EPOCHS: int | None = None
_MAX_STEPS_PER_EPOCH: int | None = None
_FLAGS = {"traceback_filtering": True, "interactive_logging": True}
_UIDS: dict[str, int] = {}


def backend() -> str:
    """The name of the backend: nnlite computes with NumPy (``"numpy"``, Keras's name for it).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.backend()
        'numpy'
    """
    return "numpy"


def set_backend(backend: str) -> None:
    """Keras switches between TensorFlow, JAX and PyTorch here; nnlite has NumPy alone.

    Args:
        backend: "numpy" (nnlite's only backend); any other name is refused.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_backend("numpy")  # the one backend there is
        >>> nnlite.config.backend()
        'numpy'
    """
    if backend != "numpy":
        raise ValueError(f"nnlite computes with NumPy; it cannot switch to the {backend!r} backend. Save the model "
                         "(model.save('model.keras')) and load it with keras.models.load_model in Keras.")


def image_data_format() -> str:
    """Where image channels go: ``"channels_last"`` (Keras's default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.image_data_format()
        'channels_last'
    """
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set :func:`image_data_format`.

    Args:
        data_format: "channels_last" or "channels_first".

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_image_data_format("channels_first")
        >>> nnlite.config.image_data_format()
        'channels_first'
        >>> nnlite.config.set_image_data_format("channels_last")
    """
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                         f"Received: data_format={data_format}")
    _IMAGE_DATA_FORMAT = data_format


def max_epochs() -> int | None:
    """The most epochs any ``fit`` runs (None: no limit).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.max_epochs() is None  # no cap unless set
        True
    """
    return _MAX_EPOCHS


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every ``fit`` (for quick test runs of a program), or lift the cap with None.

    Args:
        max_epochs: the most epochs any ``fit`` runs, or None for no cap.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_max_epochs(2)
        >>> model = nnlite.Sequential([nnlite.Input((1,)), nnlite.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> len(model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=50, verbose=0).history["loss"])
        2
        >>> nnlite.config.set_max_epochs(None)
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_steps_per_epoch() -> int | None:
    """The most batches any epoch of ``fit`` runs (None: no limit).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.max_steps_per_epoch() is None
        True
    """
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the batches of every epoch, or lift the cap with None.

    Args:
        max_steps_per_epoch: the most batches any epoch runs, or None for no cap.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_max_steps_per_epoch(1)
        >>> nnlite.config.max_steps_per_epoch()
        1
        >>> nnlite.config.set_max_steps_per_epoch(None)
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def dtype_policy() -> str:
    """The default dtype policy's name (floatx: nnlite has no mixed precision).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.dtype_policy()
        'float32'
    """
    return _FLOATX


def set_dtype_policy(policy: str) -> None:
    """Set the dtype policy: a float dtype name sets floatx; mixed policies are refused.

    Args:
        policy: "float32", "float64" or "float16" (or a policy object with that name).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.set_dtype_policy("float64")
        >>> nnlite.config.floatx()
        'float64'
        >>> nnlite.config.set_dtype_policy("float32")
    """
    if isinstance(policy, str) and policy.startswith("mixed"):
        raise ValueError(f"nnlite computes every layer in one float dtype; the mixed policy {policy!r} is not "
                         "supported (use 'float32' or 'float64').")
    set_floatx(getattr(policy, "name", policy))


def enable_unsafe_deserialization() -> None:
    """Keras allows Lambda layers' code in files after this; nnlite never runs code from a file, so it
    changes nothing (a Lambda layer in a file is refused either way).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.enable_unsafe_deserialization()  # accepted; nothing changes
    """


def _flag(name: str, value: bool) -> None:
    _FLAGS[name] = value


def enable_traceback_filtering() -> None:
    """Keras shortens tracebacks of its own code; nnlite's are short already: a flag kept for programs.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.enable_traceback_filtering()
        >>> nnlite.config.is_traceback_filtering_enabled()
        True
    """
    _flag("traceback_filtering", True)


def disable_traceback_filtering() -> None:
    """See :func:`enable_traceback_filtering`.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.disable_traceback_filtering()
        >>> nnlite.config.is_traceback_filtering_enabled()
        False
        >>> nnlite.config.enable_traceback_filtering()
    """
    _flag("traceback_filtering", False)


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.is_traceback_filtering_enabled()
        True
    """
    return _FLAGS["traceback_filtering"]


def enable_interactive_logging() -> None:
    """Progress bars and logs on the terminal (the default).

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.enable_interactive_logging()
        >>> nnlite.config.is_interactive_logging_enabled()
        True
    """
    _flag("interactive_logging", True)


def disable_interactive_logging() -> None:
    """Progress of fit, evaluate and predict goes to Python's logging instead of the terminal.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.disable_interactive_logging()
        >>> nnlite.config.is_interactive_logging_enabled()
        False
        >>> nnlite.config.enable_interactive_logging()
    """
    _flag("interactive_logging", False)


def is_interactive_logging_enabled() -> bool:
    """Whether progress goes to the terminal.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.is_interactive_logging_enabled()
        True
    """
    return _FLAGS["interactive_logging"]


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... for each call with ``prefix`` (until ``clear_session``).

    Args:
        prefix: the counter to advance (each prefix counts on its own).

    Returns:
        The next number for ``prefix``.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.clear_session()
        >>> nnlite.config.get_uid("dense"), nnlite.config.get_uid("dense")
        (1, 2)
    """
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def clear_session(free_memory: bool = True) -> None:
    """Forget what Keras keeps between models: the name counters of ``get_uid`` (and collect garbage).

    Args:
        free_memory: also run the garbage collector.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.config.get_uid("demo"), nnlite.config.get_uid("demo")
        (1, 2)
        >>> nnlite.config.clear_session()
        >>> nnlite.config.get_uid("demo")  # the counters start again
        1
    """
    _UIDS.clear()
    if free_memory:
        import gc

        gc.collect()
