"""Regenerate the pictures in docs/images: python docs/make_images.py (needs matplotlib)."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")

import nnlite  # noqa: E402
from nnlite.datasets import make_2d  # noqa: E402
from nnlite.plotting import plot_decision  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent / "images"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    nnlite.utils.set_random_seed(0)
    digits = nnlite.Sequential([nnlite.Input((64,)), nnlite.layers.Dense(32, activation="relu"),
                                nnlite.layers.Dropout(0.2), nnlite.layers.Dense(10, activation="softmax")])
    nnlite.utils.plot_model(digits, to_file=str(HERE / "plot_model.png"), show_shapes=True, show_layer_names=True,
                            show_layer_activations=True, show_trainable=True, dpi=90)
    x, y = make_2d("circles", 300, noise=0.08)
    model = nnlite.Sequential([nnlite.Input((2,)), nnlite.layers.Dense(6, activation="tanh"),
                               nnlite.layers.Dense(1, activation="sigmoid")])
    model.compile(nnlite.optimizers.Adam(0.03), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=100, batch_size=16, verbose=0)
    plot_decision(model, x, y, title="circles after 100 epochs").savefig(HERE / "playground.png", dpi=100)
    history.plot().savefig(HERE / "history.png", dpi=100)


if __name__ == "__main__":
    main()
