"""Sliding windows over an image batch as matrices (im2col) and back (col2im), shared by convolution and pooling.

For x of shape (N, H, W, C) (channels last) and a window of (kh, kw) taps with strides (sh, sw) and
dilation (dh, dw), output position (i, j) reads the taps

    x_pad[n, i sh + a dh, j sw + b dw, c]        a < kh, b < kw

of x padded by (top, bottom) rows and (left, right) columns. ``windows`` gives them all at once as an
array (N, oh, ow, kh, kw, C) that shares x_pad's memory; ``im2col`` lays them out as the matrix
(N oh ow, kh kw C) whose product with a (kh kw C, F) kernel is a convolution. ``col2im`` is the
transpose: it adds each window's gradient back where the window read, so a tap two windows share
gets the sum of both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import config

Pair = tuple[int, int]


def output_length(size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Windows along one axis: ceil(size / stride) with "same" padding, floor((size - span) / stride) + 1 with
    "valid", where span = (k - 1) dilation + 1 is the window's reach."""
    if padding == "same":
        return -(-size // stride)
    return (size - ((k - 1) * dilation + 1)) // stride + 1


def padding_amounts(size: int, k: int, stride: int, dilation: int, padding: str) -> Pair:
    """(before, after) along one axis: TensorFlow's "same" rule puts the odd one after; "valid" pads nothing."""
    if padding != "same":
        return 0, 0
    total = max((output_length(size, k, stride, dilation, padding) - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def windows(x: np.ndarray, kernel: Pair, strides: Pair, dilation: Pair, pads: tuple[Pair, Pair],
            fill: float = 0.0) -> np.ndarray:
    """Every window of x (N, H, W, C), padded with ``fill``: a read-only view (N, oh, ow, kh, kw, C)."""
    if any(pads[0]) or any(pads[1]):
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, strides, dilation
    oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
    s_n, s_h, s_w, s_c = x.strides
    return np.lib.stride_tricks.as_strided(x, (n, oh, ow, kh, kw, c),
                                           (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)


def im2col(x: np.ndarray, kernel: Pair, strides: Pair, dilation: Pair, pads: tuple[Pair, Pair]) -> np.ndarray:
    """The windows as rows: (N oh ow, kh kw C), a copy in C order (the taps of one window are one row)."""
    patches = windows(x, kernel, strides, dilation, pads)
    n, oh, ow, kh, kw, c = patches.shape
    if c == 1:  # one channel (grey images): tap by tap, three times faster than copying windows of single values
        rows = np.empty((n, oh, ow, kh * kw), dtype=x.dtype)
        for tap, (a, b) in enumerate(np.ndindex(kh, kw)):
            rows[..., tap] = patches[:, :, :, a, b, 0]
        return rows.reshape(n * oh * ow, kh * kw)
    return patches.reshape(n * oh * ow, kh * kw * c)


def col2im(grad_windows: np.ndarray, shape: tuple[int, ...], strides: Pair, dilation: Pair,
           pads: tuple[Pair, Pair]) -> np.ndarray:
    """grad_x (N, H, W, C) from the gradient at every window tap (N, oh, ow, kh, kw, C): each tap's gradient added
    where it read, the padding dropped. One strided addition per kernel offset (a, b)."""
    n, h, w, c = shape
    _, oh, ow, kh, kw, _ = grad_windows.shape
    (top, bottom), (left, right) = pads
    grad = np.zeros((n, h + top + bottom, w + left + right, c), dtype=grad_windows.dtype)
    for a, b, where in taps((kh, kw), strides, dilation, (oh, ow)):
        grad[where] += grad_windows[:, :, :, a, b, :]
    return grad[:, top:top + h, left:left + w, :]


def col2im_product(g: np.ndarray, kernel: np.ndarray, shape: tuple[int, ...], window: Pair, strides: Pair,
                   dilation: Pair, pads: tuple[Pair, Pair]) -> np.ndarray:
    """col2im(G K^T) without the (M, kh kw C) matrix G K^T: for each tap (a, b), the block G K_ab^T (M, C), with
    K_ab the kernel's C rows of that tap, added where the tap read. The same sums, each entry the same dot
    product; about twice as fast, as no large matrix is written and read back strided.

    Args:
        g: G, the gradient at the windows, (M, F) with M = N oh ow.
        kernel: K, (kh kw C, F), rows in tap-major order as im2col lays out a window.
        shape: the image's (N, H, W, C).
        window, strides, dilation, pads: the windows' geometry.
    """
    n, h, w, c = shape
    (top, bottom), (left, right) = pads
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    oh, ow = (h + top + bottom - (kh - 1) * dh - 1) // sh + 1, (w + left + right - (kw - 1) * dw - 1) // sw + 1
    grad = np.zeros((n, h + top + bottom, w + left + right, c), dtype=g.dtype)
    for (_, _, where), k_ab in zip(taps(window, strides, dilation, (oh, ow)), kernel.reshape(kh * kw, c, -1)):
        grad[where] += (g @ k_ab.T).reshape(n, oh, ow, c)  # tap (a, b)'s share of every window's gradient
    return grad[:, top:top + h, left:left + w, :]


def cache_sized(x: np.ndarray, size: int = 2**19) -> list[slice]:
    """Slices of x's first axis of about ``size`` bytes each (at least one row): a pass that reads the same
    images several times (a pooling's taps) runs a slice at a time, so its rereads come from the cache, not
    from memory (on 2 cores, MaxPooling2D's backward on a (128, 26, 26, 32) batch: 5.0 ms whole, 3.5 ms so)."""
    rows = max(1, size // max(x[:1].nbytes, 1))
    return [slice(i, i + rows) for i in range(0, len(x), rows)]


def row_sums(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """1^T G into ``out`` (F,): the sum of G's rows (M, F), as one matrix-vector product. A bias's gradient over
    every position of a batch; for M in the tens of thousands ten times faster than ``np.add.reduce(G, axis=0)``
    (which adds one row after another), and in float32 as close to the exact sum or closer."""
    return np.matmul(np.ones(len(g), g.dtype), g, out=out)


def taps(kernel: Pair, strides: Pair, dilation: Pair, out: Pair) -> list[tuple[int, int, tuple[slice, ...]]]:
    """(a, b, index) for each kernel offset in row-major order: x_pad[index] is the (N, oh, ow, C) array of the
    entries tap (a, b) reads in every window."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    return [(a, b, (slice(None), slice(a * dh, a * dh + sh * (oh - 1) + 1, sh),
                    slice(b * dw, b * dw + sw * (ow - 1) + 1, sw), slice(None)))
            for a in range(kh) for b in range(kw)]


def window_tuple(value: Any, name: str, rank: int, allow_zero: bool = False) -> tuple[int, ...]:
    """A window argument with one entry per spatial axis (one int for all), checked as Keras's standardize_tuple
    checks it, with its messages."""
    message = f"The `{name}` argument must be a tuple of {rank} integers. Received {name}={value}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != rank:
            raise ValueError(message)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"{message}including element {v} of type {type(v)}")
        values = tuple(int(v) for v in values)
    bad = {v for v in values if (v < 0 if allow_zero else v <= 0)}
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{message}, including values {bad} that do not satisfy `value {requirement}`")
    return values


def pair(value: Any, name: str, allow_zero: bool = False) -> Pair:
    """A window argument as (rows, columns): one int for both, or two."""
    return window_tuple(value, name, 2, allow_zero)


def padding_name(padding: str) -> str:
    """"valid" or "same" (any case), as Keras accepts them."""
    name = str(padding).lower()
    if name not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be a list/tuple or one of ['valid', 'same']. "
                         f"Received: {padding!r}")
    return name


def data_format_name(data_format: str | None) -> str:
    """"channels_last" or "channels_first"; None for ``config.image_data_format()``."""
    name = config.image_data_format() if data_format is None else str(data_format).lower()
    if name not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                         f"Received: data_format={data_format!r}")
    return name
