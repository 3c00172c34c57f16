"""python -m nnlite: train a dense classifier and report its test accuracy.

Without --data it learns the 1,797 8x8 handwritten digits shipped with nnlite. With --data it reads
a CSV file of your own: numeric feature columns and one label column (--label, the last by default).
"""

from __future__ import annotations

import argparse

import numpy as np

import nnlite
from nnlite.datasets import load_csv, load_digits, train_test_split


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; received {text}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction strictly between 0 and 1; received {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0.0 or not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a positive finite number; received {text}")
    return value


def layer_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated layer sizes such as 64 or 128,64; "
                                         f"received {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"every layer size must be at least 1; received {text!r}")
    return sizes


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nnlite", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--data", metavar="CSV", default=argparse.SUPPRESS,
                      help="CSV file to learn from instead of the shipped digits")
    data.add_argument("--label", default="-1",
                      help="label column of the CSV: its header name or 0-based index (-1 is the last)")
    data.add_argument("--test-size", type=fraction, default=0.2, help="fraction of rows held out for the test")
    data.add_argument("--validation-split", type=fraction, default=0.1,
                      help="fraction of the training rows used for validation each epoch")
    net = p.add_argument_group("network and training")
    net.add_argument("--hidden", type=layer_sizes, default="64", metavar="SIZES",
                     help="hidden layer sizes, comma-separated (e.g. 128,64); empty for none")
    net.add_argument("--activation", default="relu", help="activation of the hidden layers")
    net.add_argument("--optimizer", default="adam", help="optimizer name, e.g. adam, sgd, rmsprop, adamw")
    net.add_argument("--learning-rate", type=positive_float, default=argparse.SUPPRESS,
                     help="learning rate (default: the optimizer's own, as in Keras: 0.001 for adam, 0.01 for sgd)")
    net.add_argument("--epochs", type=positive_int, default=30, help="passes over the training rows")
    net.add_argument("--batch-size", type=positive_int, default=32, help="rows per gradient step")
    net.add_argument("--seed", type=int, default=0, help="seed for the split, the weights and the shuffles")
    out = p.add_argument_group("output")
    out.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                     help="0 silent, 1 progress bar, 2 one line per epoch")
    out.add_argument("--save", metavar="PATH.keras", default=argparse.SUPPRESS,
                     help="save the trained model to this .keras file")
    return p


def main(argv: list[str] | None = None) -> float:
    p = parser()
    args = p.parse_args(argv)
    for name in ("data", "learning_rate", "save"):
        setattr(args, name, getattr(args, name, None))
    if args.save is not None and not args.save.endswith(".keras"):
        p.error(f"--save: the file name must end in .keras; received {args.save!r}")
    try:
        optimizer = nnlite.optimizers.get(args.optimizer)
    except ValueError as error:
        p.error(f"--optimizer: {error}")
    try:
        nnlite.activations.get(args.activation)
    except ValueError as error:
        p.error(f"--activation: {error}")
    if args.learning_rate is not None:
        optimizer.learning_rate = args.learning_rate

    nnlite.utils.set_random_seed(args.seed)
    if args.data is None:
        x, y = load_digits()
        names = [str(digit) for digit in range(10)]
        what = "8x8 digits"
    else:
        try:
            x, y, names = load_csv(args.data, label=args.label)
        except (OSError, ValueError) as error:
            p.error(f"--data: {error}")
        what = args.data
    if len(names) < 2:
        p.error(f"the label column holds a single class ({names[0]}); a classifier needs two or more")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=args.test_size, random_state=args.seed)
    print(f"{what}: {len(x_train)} training and {len(x_test)} test rows, "
          f"{x.shape[1]} features, {len(names)} classes")

    normalize = nnlite.layers.Normalization()
    normalize.adapt(x_train)  # mean and variance of the training rows only
    model = nnlite.Sequential(
        [nnlite.Input(shape=(x.shape[1],)), normalize]
        + [nnlite.layers.Dense(size, activation=args.activation) for size in args.hidden]
        + [nnlite.layers.Dense(len(names), activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if args.verbose:
        model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_split=args.validation_split, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    wrong = int(np.sum(predicted != y_test))
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f} ({wrong} of {len(y_test)} misclassified)")
    if args.save is not None:
        model.save(args.save)
        print(f"saved the trained model to {args.save}")
    return accuracy


if __name__ == "__main__":
    main()
