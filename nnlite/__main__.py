"""``python -m nnlite``: train a classifier on the shipped 8x8 digits and report test accuracy."""

from __future__ import annotations

import argparse

import numpy as np

import nnlite
from nnlite.datasets import load_digits, train_test_split


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(prog="python -m nnlite", description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args(argv)

    nnlite.utils.set_random_seed(args.seed)
    x, y = load_digits()
    x = x / 16.0  # pixel counts 0..16 -> [0, 1]
    x_train, y_train, x_test, y_test = train_test_split(x, y, test_fraction=0.2, seed=args.seed)
    print(f"8x8 digits: {len(x_train)} training and {len(x_test)} test images, 10 classes")

    model = nnlite.Sequential([
        nnlite.Input(shape=(64,)),
        nnlite.layers.Dense(64, activation="relu"),
        nnlite.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=nnlite.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_split=0.1, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    wrong = int(np.sum(predicted != y_test))
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f} ({wrong} of {len(y_test)} misclassified)")
    return accuracy


if __name__ == "__main__":
    main()
