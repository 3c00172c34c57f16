"""Building the same model in Keras and nnlite, and comparing numbers."""

from __future__ import annotations

import json
import zipfile

import numpy as np

import nnlite


def assert_close(actual, expected, rtol, what="", floor=None):
    """Relative agreement to ``rtol``, with an absolute floor for entries near zero.

    The floor is max(rtol / 1000, 64 ulp of the reference's dtype) times max|expected|:
    an entry a thousand times smaller than the array's largest, or within a few dozen
    rounding steps of zero, has no meaningful relative error (in float32 a saturated
    tanh rounds to +-1 and 1 - t^2 keeps only its rounding noise). Finite-difference
    checks pass their own ``floor``: the rounding noise of the difference quotient.
    """
    eps = float(np.finfo(np.result_type(np.asarray(expected).dtype, np.float32)).eps)
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-30)
    if floor is None:
        floor = max(rtol * 1e-3, 64 * eps) * scale
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=floor, err_msg=what)


def _keras_regularizer(keras, reg):
    return None if reg is None else keras.regularizers.L1L2(l1=reg.l1, l2=reg.l2)


def keras_layer(keras, layer):
    """The Keras layer that matches an nnlite layer (Dropout only where it does nothing)."""
    L = nnlite.layers
    if isinstance(layer, L.Dense):
        return keras.layers.Dense(
            layer.units, activation=layer.activation.name, use_bias=layer.use_bias,
            kernel_regularizer=_keras_regularizer(keras, layer.kernel_regularizer),
            bias_regularizer=_keras_regularizer(keras, layer.bias_regularizer),
            activity_regularizer=_keras_regularizer(keras, layer.activity_regularizer))
    if isinstance(layer, L.ReLU):
        p = layer.activation.params
        return keras.layers.ReLU(max_value=p["max_value"], negative_slope=p["negative_slope"],
                                 threshold=p["threshold"])
    if isinstance(layer, L.LeakyReLU):
        return keras.layers.LeakyReLU(negative_slope=layer.activation.negative_slope)
    if isinstance(layer, L.Softmax):
        return keras.layers.Softmax()
    if isinstance(layer, L.Activation):
        return keras.layers.Activation(layer.activation.name)
    if isinstance(layer, L.Dropout):
        return keras.layers.Dropout(layer.rate)
    raise AssertionError(f"no Keras twin for {layer!r}")


def keras_twin(keras, model: nnlite.Sequential):
    """A Keras Sequential with the same layers and the same weights as ``model``."""
    layers = [keras.Input(shape=model.input_shape[1:])]
    layers += [keras_layer(keras, layer) for layer in model.layers]
    twin = keras.Sequential(layers)
    twin.set_weights(model.get_weights())
    return twin


def dense_model(sizes, activations, use_bias=True, seed=0):
    """nnlite model: Input(sizes[0]) then Dense(sizes[i]) with the given activations."""
    init = nnlite.initializers.GlorotUniform(seed=seed)
    layers = [nnlite.Input(shape=(sizes[0],))]
    for units, act in zip(sizes[1:], activations):
        layers.append(nnlite.layers.Dense(units, activation=act, use_bias=use_bias,
                                          kernel_initializer=init,
                                          bias_initializer=nnlite.initializers.RandomNormal(seed=seed + 1)))
    return nnlite.Sequential(layers)


# Central differences with h = 1e-6 on O(1) values carry rounding noise of about
# eps / h = 2e-10; comparisons against them use this absolute floor.
FD_FLOOR = 1e-8


def fit_side_by_side(theirs, ours, x, y, rtol, batch_size=8, epochs=3, **compile_kwargs):
    """Compile both models alike (adam, binary crossentropy, accuracy unless told), fit them on the same
    batches in order, and compare every History entry; returns the two Histories."""
    options = {"optimizer": "adam", "loss": "binary_crossentropy", "metrics": ["accuracy"], **compile_kwargs}
    for m in (theirs, ours):
        m.compile(**options)
    h_theirs = theirs.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    for key, values in h_theirs.history.items():
        assert_close(h_ours.history[key], values, rtol, key)
    return h_theirs, h_ours


def run_in_terminal(args: list[str], columns: int = 80) -> str:
    """Output of ``python args`` on a pseudo-terminal of 24 rows x ``columns`` ($COLUMNS and $LINES unset, so the
    program asks the terminal); it must exit with status 0."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.Popen([sys.executable, *args], stdout=child, stderr=child, stdin=child, env=env,
                            close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    done.wait(timeout=120)
    os.close(main)
    text = b"".join(chunks).decode()
    assert done.returncode == 0, text[-2000:]
    return text


def central_differences(loss, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dloss/dx by central differences, (loss(x + h e_i) - loss(x - h e_i)) / 2h for every entry i of x."""
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss(up) - loss(down)) / (2 * h)
    return numeric


def files_load_both_ways(keras, theirs, ours, x, folder):
    """Keras's .keras file of ``theirs`` loads in nnlite and nnlite's of ``ours`` in Keras, each predicting as the
    model that wrote it (to 1e-12)."""
    theirs.save(folder / "theirs.keras")
    ours.save(folder / "ours.keras")
    assert_close(nnlite.saving.load_model(folder / "theirs.keras").predict(x, verbose=0),
                 theirs.predict(x, verbose=0), 1e-12, "nnlite loads Keras's file")
    assert_close(keras.saving.load_model(folder / "ours.keras").predict(x, verbose=0), ours.predict(x, verbose=0),
                 1e-12, "Keras loads nnlite's file")


def fit_both(keras, theirs, ours, x, y, optimizer, loss, batch_size, metrics=None, rtol=1e-9, weights_rtol=1e-7):
    """The same fit (2 epochs, no shuffling) in Keras and nnlite from the same weights: the logs agree to ``rtol``
    (float64's contract by default) and the weights after it to ``weights_rtol``."""
    ours.set_weights(theirs.get_weights())
    theirs.compile(getattr(keras.optimizers, optimizer[0])(optimizer[1]), loss, metrics=metrics)
    ours.compile(getattr(nnlite.optimizers, optimizer[0])(optimizer[1]), loss, metrics=metrics)
    expected = theirs.fit(x, y, batch_size=batch_size, epochs=2, verbose=0, shuffle=False).history
    history = ours.fit(x, y, batch_size=batch_size, epochs=2, verbose=0, shuffle=False).history
    for key in expected:
        assert_close(history[key], expected[key], rtol, key)
    for w, e in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(w, e, weights_rtol, "weights after the fit")


def compare_sequence_layer(tf, ours, theirs, x, states, call_states, mask, rng, what, rtol):
    """A sequence layer and Keras's twin (same weights): L = sum of seed * output over every output (states
    flattened); the outputs and dL/d(x, initial states, trainable weights) agree to ``rtol``.

    Args:
        tf: TensorFlow.
        ours, theirs: nnlite's layer and Keras's.
        x: the sequences.
        states: the initial states as nnlite takes them (flat), or [].
        call_states: the initial states as Keras's call takes them (tensors), or None.
        mask: which steps count, or None.
        rng: where the seeds come from.
        what: the case, for messages.
        rtol: the tolerance.
    """
    xt, st = tf.constant(x), [tf.constant(s) for s in states]
    with tf.GradientTape() as tape:
        tape.watch([xt, *st])
        call = {}
        if states:
            call["initial_state"] = call_states(st)
        if mask is not None:
            call["mask"] = tf.constant(mask)
        out = theirs(xt, **call)
        outs = [o for item in out for o in (item if isinstance(item, (list, tuple)) else [item])] \
            if isinstance(out, (list, tuple)) else [out]
        seeds = [rng.normal(size=o.shape) for o in outs]
        loss = sum(tf.reduce_sum(o * s) for o, s in zip(outs, seeds))
    expected = tape.gradient(loss, [xt, *st, *theirs.trainable_weights])
    ctx = nnlite.layers.Context(training=True)
    a, saved = ours.forward_masked([x, *states] if states else x, mask, ctx)
    for k, (o, e) in enumerate(zip(a if isinstance(a, list) else [a], outs)):
        assert_close(o, np.asarray(e), rtol, f"{what} output {k}")
    grads = ours.backward(saved, seeds if len(seeds) > 1 else seeds[0], ctx)
    grads = (grads if isinstance(grads, list) else [grads]) + [ctx.grad(w) for w in ours.trainable_weights]
    names = ["x", *[f"state {k}" for k in range(len(states))], *[w.name for w in ours.trainable_weights]]
    assert len(grads) == len(expected)
    for name, g, e in zip(names, grads, expected):
        assert_close(g, np.asarray(e), rtol, f"{what} grad {name}")


def zip_members(path) -> dict[str, bytes]:
    """Every member of a zip (a .keras file), by name."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(path, members: dict[str, bytes]):
    """A zip at ``path`` holding ``members`` (name -> bytes); returns the path."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def with_config(source, target, edit):
    """A copy of the .keras file ``source`` at ``target`` whose config.json went through ``edit`` (which changes
    the parsed dict in place): how a test makes a damaged or hostile file past the zip's checksums."""
    members = zip_members(source)
    spec = json.loads(members["config.json"])
    edit(spec)
    members["config.json"] = json.dumps(spec).encode()
    return write_zip(target, members)


def layer_against_tensorflow(tf, ours, theirs, x, rng):
    """Build both layers for ``x``, give them the same random weights, and compare the output and the gradients of
    x and of every weight (float64, 1e-9) for the same random output gradient, and the configs (names aside);
    returns nnlite's gradient of x."""
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [rng.normal(size=v.shape) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    seed = rng.normal(size=x.shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        expected = theirs(xt)
    expected_grads = tape.gradient(expected, [xt, *theirs.trainable_weights], output_gradients=tf.constant(seed))
    with nnlite.GradientTape() as tape:
        xv = nnlite.Variable(x, name="x")
        got = ours(xv)
    grads = tape.gradient(got, [xv, *ours.trainable_weights], output_gradients=seed)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert len(grads) == len(expected_grads)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-14)
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == {
        k: v for k, v in theirs.get_config().items() if k != "name"}
    return np.asarray(grads[0])
