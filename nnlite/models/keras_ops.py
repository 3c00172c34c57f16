"""Op nodes of a functional graph in Keras's file form, both ways.

Keras writes ``keras.ops.sum(h, axis=1)`` as an entry of the op's own class, its settings as the class's config
and its tensors as the arguments of the one call recorded:

    {"module": "keras.src.ops.numpy", "class_name": "Sum", "config": {"name": "sum", "axis": 1, "keepdims": false},
     "inbound_nodes": [{"args": [<h>], "kwargs": {}}]}

nnlite's op functions take Keras's parameters by Keras's names, so one rule translates every op of the table: of
the op's parameters, those Keras's ``call`` takes (``KerasOp.call``, mostly the tensors) are the node's arguments, the
others its class's config. nnlite's Operation keeps them all as one argument list (``"#k"`` where the k-th tensor
goes). Constants among a call's arguments are written as Keras writes them: numbers as they are, arrays as
``__tensor__`` entries, an index key (``h[:, -1]``) with ``__slice__`` and ``__ellipsis__`` entries. An op outside
the table keeps nnlite's own ``Operation`` entry, which Keras cannot read.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

from .. import autodiff
from ..layers.operation import Operation


class KerasOp(NamedTuple):
    """Where Keras keeps an op: its module (``keras.src.ops.<module>``), its class, and the parameters its
    ``call`` takes (the op's other parameters are the class's config)."""

    module: str
    class_name: str
    call: tuple[str, ...]


def _group(module: str, call: tuple[str, ...], ops: str) -> dict[str, KerasOp]:
    """The ops of one module whose calls take the same parameters; each named ``op`` (its class the op in
    CamelCase) or ``op:Class``."""
    table = {}
    for entry in ops.split():
        op, _, class_name = entry.partition(":")
        table[op] = KerasOp(module, class_name or "".join(part.capitalize() for part in op.split("_")), call)
    return table


_X, _X1_X2 = ("x",), ("x1", "x2")
# nnlite's op -> where Keras keeps it (read from Keras 3.15's keras.src.ops; tests/test_keras_op_files.py checks each)
KERAS_OPS: dict[str, KerasOp] = {
    **_group("numpy", _X, """
        abs:Absolute absolute all any arccos arccosh arcsin arcsinh arctan arctanh argmax argmin argsort broadcast_to
        cbrt ceil clip conj copy cos cosh count_nonzero cumprod cumsum diag diagonal exp expand_dims expm1 flip floor
        isfinite isinf isnan log log10 log1p log2 logical_not max mean min moveaxis nan_to_num negative nonzero
        ones_like prod ravel real reciprocal repeat reshape roll round sign sin sinh sort split sqrt square squeeze
        stack sum swapaxes tan tanh tile transpose tril triu trunc zeros_like amax amin conjugate std trace var
        meshgrid deg2rad rad2deg exp2 signbit isneginf isposinf fliplr flipud ptp hsplit vsplit dsplit nansum nanmean
        nanmax nanmin nanprod"""),
    **_group("numpy", ("array",), "rot90"),
    **_group("numpy", ("a",), "diff"),
    **_group("numpy", _X1_X2, """
        add arctan2 divide divide_no_nan dot equal floor_divide greater greater_equal hypot less less_equal
        logical_and logical_or logical_xor matmul maximum minimum mod multiply not_equal outer power subtract
        tensordot vdot append inner logaddexp heaviside logaddexp2"""),
    **_group("numpy", ("xs",), "concatenate hstack vstack dstack"),
    **_group("numpy", ("x", "weights"), "average"),
    **_group("numpy", ("operands",), "einsum"),
    **_group("numpy", ("x", "constant_values"), "pad"),
    **_group("numpy", ("x", "fill_value"), "full_like"),
    **_group("numpy", ("x", "indices"), "take take_along_axis"),
    **_group("numpy", ("x", "key"), "getitem:GetItem"),
    **_group("numpy", ("condition", "x1", "x2"), "where"),
    **_group("numpy", ("x1", "x2", "rtol", "atol"), "isclose"),
    **_group("nn", _X, """
        celu elu gelu hard_shrink hard_sigmoid hard_silu hard_tanh leaky_relu log_sigmoid log_softmax one_hot relu
        relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus sparse_sigmoid squareplus
        tanh_shrink glu threshold moments normalize"""),
    **_group("nn", ("target", "output"),
             "binary_crossentropy categorical_crossentropy sparse_categorical_crossentropy"),
    **_group("nn", ("inputs",), "multi_hot"),
    **_group("nn", ("query", "key", "value", "bias", "mask", "scale"), "dot_product_attention"),
    **_group("nn", ("x", "scale"), "rms_normalization:RMSNorm"),
    **_group("nn", ("x", "gamma", "beta"), "layer_normalization:LayerNorm"),
    **_group("nn", _X1_X2, "psnr:PSNR"),
    **_group("nn", ("target", "output", "target_length", "output_length"), "ctc_loss:CTCLoss"),
    **_group("math", _X, "erf logsumexp rsqrt top_k"),
    **_group("math", ("data", "segment_ids"), "segment_max segment_sum"),
    **_group("math", ("targets", "predictions"), "in_top_k"),
    **_group("core", _X, "cast unstack"),
    **_group("core", ("variable",), "stop_gradient"),
    **_group("core", ("inputs", "start_indices"), "slice"),
    **_group("core", ("indices", "values"), "scatter"),
    **_group("core", ("inputs", "indices", "updates"), "scatter_update"),
    **_group("core", ("inputs", "start_indices", "updates"), "slice_update"),
    **_group("linalg", _X, "cholesky det eigh inv qr svd:SVD norm"),
    **_group("linalg", ("a", "b"), "lstsq solve"),
}
# (module, class) in a Keras file -> nnlite's op (Keras writes x / y as TrueDivide)
OPS_BY_CLASS = {**{(k.module, k.class_name): op for op, k in KERAS_OPS.items() if op != "abs"},
                ("numpy", "TrueDivide"): "divide"}
PREFIX = "keras.src.ops."


def class_name(layer: Any) -> str:
    """The class a summary shows for a layer: Keras's class for an op of the table (``Sum``), else its own."""
    if isinstance(layer, Operation) and layer.op in KERAS_OPS:
        return KERAS_OPS[layer.op].class_name
    return type(layer).__name__


# -- writing ---------------------------------------------------------------------------------------------------
def keras_entry(layer: Any, tensors: list[Any], tensor_entry: Any) -> dict[str, Any] | None:
    """The op's config entry as Keras writes it (class, config, its one call with the tensors and constants in
    their places), or None where Keras has no such op or could not hold an argument.

    Args:
        layer: a layer of the graph.
        tensors: the tensors its call was fed, in order.
        tensor_entry: how a tensor is written in a node (``__keras_tensor__``).
    """
    if not isinstance(layer, Operation) or layer.op not in KERAS_OPS:
        return None
    where = KERAS_OPS[layer.op]
    signature = inspect.signature(autodiff.OPS[layer.op])
    parameters = signature.parameters
    bound = signature.bind(*layer.arguments, **layer.keywords)
    given = dict(bound.arguments)  # what the call named, before defaults
    bound.apply_defaults()
    floats = next((t.dtype for t in tensors if str(t.dtype).startswith(("float", "bfloat"))), "float32")
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    config: dict[str, Any] = {"name": layer.name}
    try:
        for name, value in bound.arguments.items():
            kind = parameters[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                if value:
                    return None  # settings Keras's class has no place for
            elif name not in where.call:
                if value is not None or parameters[name].default is not None:  # None left at its default: unsaid
                    config[name] = _plain(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                args.extend(_argument(v, tensors, tensor_entry, floats) for v in value)
            elif layer.op == "getitem" and name == "key":
                args.append(_key(value))
            elif name in given and not kwargs:
                args.append(_argument(value, tensors, tensor_entry, floats))
            else:  # a call parameter left at its default (Pad's constant_values): by name, as Keras records it
                kwargs[name] = _argument(value, tensors, tensor_entry, floats)
    except _Unwritable:
        return None
    return {"module": PREFIX + where.module, "class_name": where.class_name, "config": config,
            "registered_name": where.class_name, "name": layer.name, "inbound_nodes": [{"args": args,
                                                                                       "kwargs": kwargs}]}


class _Unwritable(ValueError):
    """An argument Keras's file form has no way to hold."""


def _is_slot(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("#")


def _numbers(value: Any) -> bool:
    """Whether a value is a number or a (nested) list of numbers: an array constant."""
    if isinstance(value, list):
        return all(_numbers(v) for v in value)
    return isinstance(value, (int, float, bool))


def _leaves(value: Any) -> list[Any]:
    return [leaf for v in value for leaf in _leaves(v)] if isinstance(value, list) else [value]


def _argument(value: Any, tensors: list[Any], tensor_entry: Any, floats: str) -> Any:
    """A call argument as Keras writes it: a tensor's entry, a number, an array constant as ``__tensor__``."""
    if _is_slot(value):
        return tensor_entry(tensors[int(value[1:])])
    if isinstance(value, list) and value and _numbers(value):
        leaves = _leaves(value)
        dtype = ("bool" if all(isinstance(v, bool) for v in leaves) else
                 "int32" if all(isinstance(v, int) for v in leaves) else floats)
        return {"class_name": "__tensor__", "config": {"value": value, "dtype": dtype}}
    if isinstance(value, list):
        return [_argument(v, tensors, tensor_entry, floats) for v in value]
    if value is None or isinstance(value, (int, float, str)):
        return value
    raise _Unwritable(value)


def _plain(value: Any) -> Any:
    """A setting as JSON holds it (tuples as lists); a tensor among the settings cannot be written."""
    if _is_slot(value):
        raise _Unwritable(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    raise _Unwritable(value)


def _key(described: dict[str, list[Any]]) -> Any:
    """nnlite's index key ({"index": [...]}) as Keras writes a key: one entry alone, several as a list."""
    entries = []
    for e in described["index"]:
        if isinstance(e, dict):  # {"slice": [start, stop, step]}
            start, stop, step = e["slice"]
            entries.append({"class_name": "__slice__", "config": {"start": start, "stop": stop, "step": step}})
        elif e == "...":
            entries.append({"class_name": "__ellipsis__", "config": {}})
        elif isinstance(e, list):  # an array of indices: Keras's GetItem cannot load one (nnlite's entry keeps it)
            raise _Unwritable(e)
        else:
            entries.append(e)
    return entries[0] if len(entries) == 1 else entries


# -- reading ---------------------------------------------------------------------------------------------------
def from_keras_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A Keras op entry as nnlite's Operation entry (its call's tensors as one list, "#k" in the arguments); any
    other entry as it is.

    Args:
        entry: a layer entry of a functional config.

    Raises:
        ValueError: for a Keras op nnlite does not have, or an entry whose call or settings the op cannot take.
    """
    module, cls = str(entry.get("module", "")), entry.get("class_name")
    if not module.startswith(PREFIX):
        return entry
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    op = OPS_BY_CLASS.get((module[len(PREFIX):], cls)) if isinstance(cls, str) else None
    if op is None:
        raise ValueError(f"The graph applies Keras's op {module}.{cls} (named {name!r}), which nnlite does not have; "
                         f"nnlite reads the ops {', '.join(sorted(KERAS_OPS))}.")
    nodes = entry.get("inbound_nodes") or []
    node = nodes[0] if len(nodes) == 1 and isinstance(nodes[0], dict) else None
    if node is None or not isinstance(node.get("args", []), list) or not isinstance(node.get("kwargs", {}), dict):
        raise ValueError(f"The op {name!r} ({cls}) must be called once, with a list of arguments and a dict of "
                         "keywords.")
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    parameters = inspect.signature(autodiff.OPS[op]).parameters
    call = KERAS_OPS[op].call
    tensors: list[Any] = []
    values: dict[str, Any] = {}
    positional = list(node.get("args", []))
    for i, param in enumerate(call):
        if param not in parameters:
            continue
        if parameters[param].kind is inspect.Parameter.VAR_POSITIONAL:
            values[param] = [_read(a, tensors, name) for a in positional[i:]]
            positional = positional[:i]
            break
        if i < len(positional):
            values[param] = _read_key(positional[i], name) if op == "getitem" and param == "key" else _read(
                positional[i], tensors, name)
    if len(positional) > len(call):
        raise ValueError(f"The op {name!r} ({cls}) takes at most {len(call)} arguments, got {len(positional)}.")
    settings = {**{k: v for k, v in config.items() if k != "name"}, **node.get("kwargs", {})}
    for key, value in settings.items():
        if key in parameters and parameters[key].kind is not inspect.Parameter.VAR_KEYWORD:
            values[key] = _read(value, tensors, name)
        elif value is not None:  # a Keras setting nnlite's op has no parameter for, set to something
            raise ValueError(f"The op {name!r} ({cls}) has the setting {key}={value!r:.80}, which nnlite's "
                             f"ops.{op} does not take; it takes {list(parameters)}.")
    arguments, keywords = [], {}
    for param, p in parameters.items():
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            arguments.extend(values.get(param, []))
        elif p.kind is inspect.Parameter.KEYWORD_ONLY and param in values:
            keywords[param] = values[param]
        elif p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            if param not in values and p.default is inspect.Parameter.empty:
                raise ValueError(f"The op {name!r} ({cls}) lacks its argument {param!r}.")
            arguments.append(values.get(param, p.default))
    return {"module": "nnlite", "class_name": "Operation", "registered_name": None, "name": name,
            "config": {"name": name, "op": op, "arguments": arguments, "keywords": keywords},
            "inbound_nodes": [{"args": [tensors], "kwargs": {}}]}


def _read(value: Any, tensors: list[Any], name: Any) -> Any:
    """A Keras call argument or setting in nnlite's form: a tensor as "#k" (kept in ``tensors``), an array
    constant as its (nested) list of numbers."""
    if isinstance(value, dict):
        kind, inner = value.get("class_name"), value.get("config")
        if kind == "__keras_tensor__":
            tensors.append(value)
            return f"#{len(tensors) - 1}"
        if kind in ("__tensor__", "__numpy__") and isinstance(inner, dict) and _numbers(inner.get("value")):
            return inner["value"]
        raise ValueError(f"The op {name!r} has an argument nnlite cannot read: {value!r:.120}.")
    if isinstance(value, list):
        return [_read(v, tensors, name) for v in value]
    return value


def _read_key(value: Any, name: Any) -> dict[str, list[Any]]:
    """A Keras index key (an entry, or a list of entries for a tuple) as nnlite's {"index": [...]}."""
    entries = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for e in entries:
        kind = e.get("class_name") if isinstance(e, dict) else None
        inner = e.get("config") if isinstance(e, dict) and isinstance(e.get("config"), dict) else {}
        if kind == "__slice__":
            out.append({"slice": [inner.get("start"), inner.get("stop"), inner.get("step")]})
        elif kind == "__ellipsis__":
            out.append("...")
        elif kind in ("__tensor__", "__numpy__"):
            out.append(inner.get("value"))
        elif isinstance(e, dict):
            raise ValueError(f"The op {name!r} (GetItem) has an index nnlite cannot read: {e!r:.120}.")
        else:
            out.append(e)
    return {"index": out}
