"""``keras.random.SeedGenerator``: a seed that moves on at every draw, the random state a layer holds.

Its state [seed, counter] is a non-trainable variable (in the holder's ``variables``, not its ``weights``); each draw
seeds a NumPy generator from the state and moves the counter on, so the draws differ call by call and repeat from the
same seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import config
from .registry import Registry
from .variables import Variable


class SeedGenerator:
    """A seed that moves on at every draw: state [seed, counter] (a non-trainable variable), as Keras's.

    Args:
        seed: the initial seed (an int); when None, one drawn from nnlite's generator (which
            ``utils.set_random_seed`` seeds).
        name: the generator's name.
        **kwargs: none is accepted (Keras's ``backend`` has no meaning here): any is refused with Keras's error.

    Example:
        >>> import numpy as np, nnlite
        >>> seed = nnlite.random.SeedGenerator(42)
        >>> a = nnlite.random.uniform((2,), seed=seed)
        >>> b = nnlite.random.uniform((2,), seed=seed)
        >>> bool((a == b).all())  # the generator moved on
        False
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        if name is None:  # Keras's automatic names: seed_generator, seed_generator_1, ...
            uid = config.get_uid("seed_generator")
            name = "seed_generator" if uid == 1 else f"seed_generator_{uid - 1}"
        self.name = name
        self.initial_seed = seed
        if seed is None:  # drawn from nnlite's generator, so that utils.set_random_seed makes it reproducible
            seed = int(config.default_rng().integers(1, int(1e9)))
        self.state = Variable(np.array([int(seed), 0], dtype=np.int64), "seed_generator_state", trainable=False,
                              path=f"{self.name}/seed_generator_state")

    def next(self, ordered: bool = True) -> np.ndarray:
        """The current state (a copy), then the counter moves on."""
        current = self.state.value.copy()
        if ordered:
            self.state.value[1] += 1
        else:
            self.state.value[...] = (self.state.value + 1) * 5387 % 933199
        return current

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name}, state={self.state.value.tolist()}>"


# written in configs (an initializer's seed) as Keras writes it: {"module": "keras.random", "class_name": ...}
SEED_GENERATORS = Registry(SeedGenerator, "keras.random", "seed generator")
SEED_GENERATORS.register()(SeedGenerator)


def generator_at(state: Any) -> np.random.Generator:
    """The NumPy generator a SeedGenerator's state [seed, counter] stands for (a draw from that state).

    Args:
        state: the pair [seed, counter], e.g. ``seed_generator.state.value``.
    """
    return np.random.default_rng(np.asarray(state).astype(np.uint64))
