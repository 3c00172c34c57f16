"""One registry per concept: the names a user may write, and the classes behind them.

Each concept (activations, losses, metrics, optimizers, schedules, initializers,
regularizers, constraints, layers, callbacks) keeps one :class:`Registry`, and every class
registers itself where it is defined, with one line above the class::

    @LOSSES.register("mse", "mean_squared_error")
    class MeanSquaredError(Loss): ...

Everything that needs names reads them from there: ``get()``, the error message that
lists valid names, and the ``.keras`` reader and writer. A config entry in a file is
Keras's ``{"module", "class_name", "config", "registered_name"}`` dict; the reader
looks ``class_name`` up in the registry of the concept it expects, and nothing else
(no import, no evaluation): the registry is the allow-list.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

#: every registry, in the order the concepts were defined (for ``register_keras_serializable``)
ALL: list[Registry] = []

#: Keras's global custom objects: "package>name" -> the class or function registered under it, and back
GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_scopes = threading.local()  # each thread's stack of custom_object_scope dicts


def custom_object(name: Any) -> Any:
    """The class or function a user made known under ``name`` (innermost scope first, then the global
    registrations), or None. Only what the program itself registered is found: never anything a file names."""
    if not isinstance(name, str):
        return None
    for scope in reversed(getattr(_scopes, "stack", [])):
        if name in scope:
            return scope[name]
    return GLOBAL_CUSTOM_OBJECTS.get(name)


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer, "my_loss": my_loss}):`` makes those names resolvable
    (by ``get``, ``deserialize`` and ``load_model``) inside the block, in this thread.

    Args:
        *custom_objects: dicts of name -> class or function (None entries are skipped), merged in order.

    Example:
        >>> import numpy as np, nnlite
        >>> def twice(x):
        ...     return 2 * x
        >>> with nnlite.saving.CustomObjectScope({"twice": twice}):
        ...     print(nnlite.saving.get_registered_object("twice") is twice)
        True
        >>> nnlite.saving.get_registered_object("twice") is None  # outside the block
        True
    """

    def __init__(self, *custom_objects: dict[str, Any] | None) -> None:
        self.custom_objects: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is not None and not isinstance(objects, dict):
                raise TypeError(f"custom_object_scope takes dicts of name -> class or function, got "
                                f"{type(objects).__name__}.")
            self.custom_objects.update(objects or {})

    def __enter__(self) -> CustomObjectScope:
        if not hasattr(_scopes, "stack"):
            _scopes.stack = []
        _scopes.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _scopes.stack.pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict[str, Any]:
    """Keras's global dict of custom objects; an entry added to it is found like a registered one.

    Example:
        >>> import numpy as np, nnlite
        >>> nnlite.saving.get_custom_objects()["double"] = lambda x: 2 * x
        >>> nnlite.saving.get_registered_object("double")(4)
        8
        >>> del nnlite.saving.get_custom_objects()["double"]
    """
    return GLOBAL_CUSTOM_OBJECTS


def snake_case(name: str) -> str:
    """Keras's default names from class names: Dense -> dense, LeakyReLU -> leaky_re_lu, AdamW -> adam_w."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def did_you_mean(name: Any, names: Any) -> str:
    """" Did you mean 'x'?" for the closest of ``names`` to a misspelt ``name`` ("" when none is close)."""
    import difflib  # only an error message needs it

    close = difflib.get_close_matches(str(name), list(names), n=1) if isinstance(name, str) else []
    return f" Did you mean {close[0]!r}?" if close else ""


class Registry:
    """Keras class names and aliases -> classes of one concept (all subclasses of ``base``)."""

    def __init__(self, base: type, module: str, kind: str | None = None,
                 name_of: Callable[[type], str] | None = None) -> None:
        self.base = base
        self.name_of = name_of or (lambda cls: cls.__name__)  # a class's default registered name
        self.module = module  # Keras's module name in config files, e.g. "keras.layers"
        self.kind = kind or base.__name__.lower()
        self._classes: dict[str, type] = {}  # class name (as Keras writes it) -> class
        self._aliases: dict[str, str] = {}  # other accepted names -> class name
        self._modules: dict[str, str] = {}  # class name -> its module, where not ``module``
        self._custom: dict[str, str] = {}  # "package>Name" -> key, for register_keras_serializable
        self.examples: dict[str, dict[str, Any]] = {}  # class name -> arguments of a typical instance
        self.out_of_scope: Callable[[str], str | None] = lambda name: None  # why a known Keras name is absent
        ALL.append(self)

    # -- filling it ------------------------------------------------------------------------
    def register(self, *aliases: str, name: str | None = None, module: str | None = None,
                 example: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
                 registered_name: str | None = None) -> Callable[[T], T]:
        """Class decorator: register under ``name`` (default: ``name_of(cls)``, the class name) and ``aliases``.

        ``example`` holds constructor arguments for a typical instance (the config round-trip
        test builds one from it), or a function that returns them (when they are objects made
        afresh, such as a model's tensors); classes whose arguments all have defaults need none.
        """

        def add(cls: T) -> T:
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise TypeError(f"Only subclasses of {self.base.__name__} can be registered as a {self.kind}; "
                                f"got {cls!r}.")
            class_name = name or self.name_of(cls)
            for key in (class_name, *aliases):
                owner = self._classes.get(self._aliases.get(key, key))
                if owner is not None and owner is not cls:
                    raise ValueError(f"The {self.kind} name {key!r} is taken by {owner.__qualname__}.")
            self._classes[class_name] = cls
            self._aliases.update(dict.fromkeys(aliases, class_name))
            if module is not None:
                self._modules[class_name] = module
            if registered_name is not None:
                self._custom[registered_name] = class_name
            self.examples[class_name] = example if callable(example) else dict(example or {})
            return cls

        return add

    def unregister(self, cls: type) -> None:
        """Remove ``cls`` and its aliases (for tests that register classes of their own)."""
        names = [k for k, v in self._classes.items() if v is cls]
        for class_name in names:
            del self._classes[class_name]
            self.examples.pop(class_name, None)
            self._modules.pop(class_name, None)
        for table in (self._aliases, self._custom):
            for alias in [a for a, target in table.items() if target in names]:
                del table[alias]

    def forget(self, registered_name: str) -> None:
        """Unregister the class registered as ``registered_name`` ("package>name"), if any."""
        if registered_name in self._custom:
            self.unregister(self._classes[self._custom[registered_name]])

    # -- reading it ------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Every name :meth:`lookup` accepts, sorted."""
        return sorted({*self._classes, *self._aliases})

    def classes(self) -> dict[str, type]:
        """Class name -> class, in registration order."""
        return dict(self._classes)

    def lookup(self, name: str) -> type:
        """The class registered as ``name`` (a class name or an alias)."""
        cls = self._classes.get(self._aliases.get(name, name))
        if cls is None:
            cls = custom_object(name)
        if cls is None:
            raise ValueError(f"Unknown {self.kind} {name!r}.{did_you_mean(name, self.names())} Valid names: "
                             f"{', '.join(self.names())}.")
        return cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (self._aliases.get(name, name) in self._classes or
                                          custom_object(name) is not None)

    def class_name(self, obj: Any) -> str:
        """The name ``obj``'s class is registered under (what Keras writes as "class_name")."""
        cls = obj if isinstance(obj, type) else type(obj)
        for class_name, registered in self._classes.items():
            if registered is cls:
                return class_name
        raise ValueError(f"{cls.__qualname__} is not a registered {self.kind}, so it has no Keras name; "
                         f"register it with @{type(self).__name__.lower()}.register() or "
                         "nnlite.saving.register_keras_serializable().")

    def get(self, identifier: Any) -> Any:
        """An instance from an instance, a registered name (a default instance) or Keras's config dict."""
        if isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            found = self.lookup(identifier)
            return found() if isinstance(found, type) else found  # a custom function is returned as it is
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier!r}. Expected a name "
                         f"({', '.join(self.names())}), a config dict or a {self.base.__name__}.")

    # -- Keras's config dicts --------------------------------------------------------------
    def serialize(self, obj: Any) -> dict[str, Any]:
        """Keras's form: {"module", "class_name", "config", "registered_name"}. A subclass nobody registered
        is written under its own class name and module, as Keras writes it (loading it then needs it passed
        in ``custom_objects`` or registered)."""
        if not any(registered is type(obj) for registered in self._classes.values()):
            cls = type(obj)
            return {"module": cls.__module__, "class_name": cls.__name__, "config": held_objects(obj.get_config()),
                    "registered_name": GLOBAL_CUSTOM_NAMES.get(cls, cls.__name__)}
        class_name = self.class_name(obj)
        custom = next((k for k, v in self._custom.items() if v == class_name), None)
        return {"module": self._modules.get(class_name, self.module), "class_name": class_name,
                "config": held_objects(obj.get_config()), "registered_name": custom}

    def deserialize(self, config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
        """An object from Keras's dict form, through ``cls.from_config``; only registered classes (and those in
        ``custom_objects``, as inside ``custom_object_scope(custom_objects)``). A name gives what ``get`` gives.

        Args:
            config: Keras's dict form ({"module", "class_name", "config", "registered_name"}), or a name.
            custom_objects: classes or functions of your own the entry may name.
        """
        if custom_objects:
            with CustomObjectScope(custom_objects):
                return self.deserialize(config)
        if isinstance(config, str):
            return self.get(config)
        entry = config
        if not isinstance(entry, dict):
            raise TypeError(f"A serialized {self.kind} must be a dict, got {type(entry).__name__}: {entry!r:.80}.")
        class_name = entry.get("class_name")
        registered = entry.get("registered_name") or None  # Keras reads "" as none
        module = entry.get("module")
        key = class_name
        custom = custom_object(registered) or custom_object(class_name)
        if custom is not None and not (isinstance(class_name, str) and class_name in self._classes and
                                       self._classes[class_name] is custom):
            config = entry.get("config", {})
            return _from_config(custom, config) if isinstance(custom, type) else custom
        if registered is not None and registered != class_name:
            if registered not in self._custom and class_name in self._classes:  # Keras's error, in its words
                raise ValueError(f"`registered_name={registered!r}` was provided in the config, but '{class_name}' "
                                 "resolved to a Keras built-in and does not use registered names. Remove the "
                                 f"`registered_name` field from the config. Full object config: {entry}")
            if registered not in self._custom:
                raise ValueError(f"The registered custom object {registered!r} is not something nnlite loads: "
                                 "register the class with nnlite.saving.register_keras_serializable() first.")
            key = self._custom[registered]
        elif not isinstance(class_name, str) or class_name not in self._classes or module not in (
                None, self._modules.get(class_name, self.module)):
            why = self.out_of_scope(class_name) if isinstance(class_name, str) else None
            raise ValueError(why or f"{module}.{class_name} is not something nnlite loads: not a {self.kind} it "
                             f"knows (known: {', '.join(sorted(self._classes))}).")
        config = entry.get("config", {})
        if not isinstance(config, dict):
            raise TypeError(f"Expected 'config' to be a dict for {class_name} (the config of a {self.kind}), instead "
                            f"got {type(config).__name__}. Full config: {entry}")
        cls = self._classes[key]
        check_config_types(cls, config)
        return _from_config(cls, config)


def _from_config(cls: type, config: dict[str, Any]) -> Any:
    """``cls.from_config(config)``; a TypeError (a layer of one's own given a dict where its get_config wrote a
    layer, say) gets Keras's hint once, the error quoted."""
    try:
        return cls.from_config(config)
    except TypeError as err:
        if "could not be deserialized properly" in str(err):
            raise
        raise TypeError(f"{cls} could not be deserialized properly. Please ensure that components that are Python "
                        f"object instances (layers, models, etc.) returned by `get_config()` are explicitly "
                        f"deserialized in the model's `from_config()` method.\n\nconfig={config}.\n\nException "
                        f"encountered: {err}") from err


def _accepts(hint: Any, value: Any) -> bool:
    """Whether a config value fits a constructor's type hint (numbers finite; a bool is not a number)."""
    if hint is Any or hint is inspect.Parameter.empty or isinstance(hint, str):
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(h, value) for h in typing.get_args(hint))
    if hint is type(None) or hint is None:
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return (isinstance(value, numbers.Real) and not isinstance(value, bool)
                and math.isfinite(value))
    if hint is str:
        return isinstance(value, str)
    return True  # containers, arrays, objects: their own constructors check them


def check_config_types(cls: type, config: dict[str, Any]) -> None:
    """Every config value against the type hint of the constructor argument it feeds; a wrong one
    raises a TypeError naming the class and the key (before anything is built)."""
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # hints that do not resolve: the constructor checks what it takes
        return
    for key, value in config.items():
        hint = hints.get(key)
        if hint is not None and not _accepts(hint, value):
            raise TypeError(f"{cls.__name__} config key {key!r}: {value!r} is not a valid value "
                            f"(expected {getattr(hint, '__name__', hint)}).")


def held_objects(value: Any) -> Any:
    """A config with the objects it holds (a layer, an initializer, ... that a get_config of one's own returns
    as they are) in Keras's dict form, as Keras writes them; everything else unchanged. Loading them back is the
    from_config's part (``layers.deserialize(config["layer"])``), as in Keras."""
    if isinstance(value, dict):
        return {key: held_objects(v) for key, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(held_objects(v) for v in value)
    if any(isinstance(value, registry.base) for registry in ALL):
        return registry_for(type(value)).serialize(value)
    return value


def registry_for(cls: type) -> Registry:
    """The registry of the concept ``cls`` belongs to (its most specific base)."""
    matches = [r for r in ALL if isinstance(cls, type) and issubclass(cls, r.base)]
    if not matches:
        known = ", ".join(r.base.__name__ for r in ALL)
        raise TypeError(f"{cls!r} is not a subclass of anything nnlite registers ({known}).")
    return max(matches, key=lambda r: len(r.base.__mro__))


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[T], T]:
    """Keras's decorator for a custom layer, loss, metric, function, ...: ``@register_keras_serializable()``.

    The object is known as ``"package>name"`` (Keras's ``registered_name``) to ``get``, ``deserialize`` and
    ``load_model``; a class of a concept nnlite has (layer, loss, metric, ...) also joins that concept's
    registry, so that it works by name in ``compile`` and in ``.keras`` files.

    Args:
        package: the prefix of the registered name.
        name: the name after the prefix; ``None`` for the class's or function's ``__name__``.

    Example:
        >>> import numpy as np, nnlite
        >>> @nnlite.saving.register_keras_serializable(package="demo")
        ... class DocDoubler(nnlite.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> nnlite.saving.get_registered_name(DocDoubler)
        'demo>DocDoubler'
        >>> type(nnlite.layers.deserialize({"class_name": "demo>DocDoubler", "config": {}})).__name__
        'DocDoubler'
    """
    if "/" in package or ">" in package:
        raise ValueError(f"package may not contain '/' or '>'; got {package!r}.")

    def add(arg: T) -> T:
        registered = f"{package}>{name or arg.__name__}"
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        GLOBAL_CUSTOM_OBJECTS[registered] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered
        if isinstance(arg, type) and any(issubclass(arg, r.base) for r in ALL):
            registry = registry_for(arg)
            registry.forget(registered)  # the same name again (a cell run twice): the new class wins
            owner = registry.classes().get(name or arg.__name__)
            if owner is not None and owner is not arg:  # the plain name is taken: as in Keras, "package>name" tells
                if owner not in GLOBAL_CUSTOM_NAMES:  # a built-in keeps its name; this class is found by its own
                    return arg
                registry.unregister(owner)  # another package's class: the plain name goes to the newest
            registry.register(name=name, registered_name=registered)(arg)
        return arg

    return add


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is registered under ("package>name"), else its own ``__name__``.

    Args:
        obj: a class or function.

    Example:
        >>> import numpy as np, nnlite
        >>> @nnlite.saving.register_keras_serializable(package="demo")
        ... def halve(x):
        ...     return x / 2
        >>> nnlite.saving.get_registered_name(halve)
        'demo>halve'
    """
    return GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None) or type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None,
                          module_objects: dict[str, Any] | None = None) -> Any:
    """The class or function known as ``name``: in ``custom_objects``, the active scopes, the global
    registrations, then ``module_objects``; None if none has it.

    Args:
        name: the registered name (``"package>name"``) or class name.
        custom_objects: name -> object mapping searched first.
        module_objects: name -> object mapping searched last.

    Example:
        >>> import numpy as np, nnlite
        >>> @nnlite.saving.register_keras_serializable(package="demo")
        ... def third(x):
        ...     return x / 3
        >>> nnlite.saving.get_registered_object("demo>third") is third
        True
    """
    for table in (custom_objects or {},):
        if name in table:
            return table[name]
    found = custom_object(name)
    if found is not None:
        return found
    return (module_objects or {}).get(name)
