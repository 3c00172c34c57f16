"""python -m nnlite (or nnlite): train a dense classifier and report its test accuracy.

Without --data it learns the 1,797 8x8 handwritten digits shipped with nnlite. With --data it reads
a CSV file of your own: numeric feature columns and one label column (--label, the last by default).
Training stops early when the validation loss has not improved for --patience epochs, and keeps the
best epoch's weights, so the default epoch budget suits small tables and large ones alike.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

import nnlite
from nnlite.datasets import load_csv, load_digits, train_test_split

INSTALL_H5PY = 'pip install h5py (or pip install "nnlite-keras[keras-files]")'


def _number(text: str, kind: type, what: str) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}; received {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(text, int, "a whole number of at least 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; received {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(text, int, "a whole number of at least 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0; received {text}")
    return value


def fraction(text: str) -> float:
    value = _number(text, float, "a fraction strictly between 0 and 1")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction strictly between 0 and 1; received {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float, "a positive finite number")
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
    p = argparse.ArgumentParser(prog="nnlite", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--version", action="version", version=f"nnlite {nnlite.__version__}")
    data = p.add_argument_group("data")
    data.add_argument("--data", metavar="CSV", default=argparse.SUPPRESS,
                      help="CSV file to learn from instead of the shipped digits (comma, semicolon or tab "
                           "separated; a header row is optional)")
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
    net.add_argument("--epochs", type=positive_int, default=300,
                     help="most passes over the training rows (early stopping usually ends sooner)")
    net.add_argument("--patience", type=non_negative_int, default=20,
                     help="stop after this many epochs without a lower validation loss and keep the best "
                          "epoch's weights; 0 trains every epoch")
    net.add_argument("--batch-size", type=positive_int, default=32, help="rows per gradient step")
    net.add_argument("--seed", type=int, default=0, help="seed for the split, the weights and the shuffles")
    out = p.add_argument_group("output")
    out.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2),
                     help="0 silent, 1 progress bar, 2 one line per epoch")
    out.add_argument("--save", metavar="PATH.keras", default=argparse.SUPPRESS,
                     help="save the trained model (and its class names) to this .keras file")
    return p


def check_save_target(p: argparse.ArgumentParser, path: str) -> None:
    """Everything saving needs, checked before any training: never lose a finished run to a late error."""
    if not path.endswith(".keras"):
        p.error(f"--save: the file name must end in .keras; received {path!r}")
    try:
        import h5py  # noqa: F401
    except ImportError:
        p.error(f"--save: saving a .keras file needs h5py, which is not installed: {INSTALL_H5PY}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        p.error(f"--save: the folder {folder} does not exist; create it or choose another path")
    if not os.access(folder, os.W_OK):
        p.error(f"--save: the folder {folder} is not writable")
    if os.path.isdir(path):
        p.error(f"--save: {path} is a folder; give a file name ending in .keras")


def looks_continuous(names: list[str], rows: int) -> bool:
    """Numeric labels that are not class codes: fractions among them, or nearly one value per row."""
    try:
        values = np.array([float(n) for n in names])
    except ValueError:
        return False
    return bool(np.any(values != np.round(values))) or len(values) > max(20, rows // 5)


class _Where(nnlite.callbacks.Callback):
    """Where training is: the epoch (from 1) and the batches done in it."""

    epoch = 0
    batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.batch = epoch + 1, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batch = batch + 1


def _interrupted(model, args, where: _Where, steps: int, names: list[str]) -> None:
    """Ctrl-C: one line saying where training stopped; keep what was trained if --save was given."""
    print(f"\nStopped by Ctrl-C in epoch {where.epoch} of {args.epochs}, after batch {where.batch} of {steps}; "
          "the weights are those of the last whole step.", file=sys.stderr)
    if args.save is None:
        raise SystemExit(130)
    keep = True
    if sys.stdin.isatty():
        try:
            keep = input(f"Save the model trained so far to {args.save}? [Y/n] ").strip().lower() in ("", "y", "yes")
        except (EOFError, KeyboardInterrupt):
            keep = False
    if keep:
        _save(model, args.save, names, f"trained until Ctrl-C (epoch {where.epoch})")
    raise SystemExit(130)


def _save(model, path: str, names: list[str], what: str) -> None:
    model.save(path)
    nnlite.saving.add_metadata(path, class_names=names)
    print(f"saved the model {what} to {path}")


def main(argv: list[str] | None = None) -> float:
    p = parser()
    args = p.parse_args(argv)
    for name in ("data", "learning_rate", "save"):
        setattr(args, name, getattr(args, name, None))
    if args.save is not None:
        check_save_target(p, args.save)
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
    if looks_continuous(names, len(y)):
        print(f"warning: the label column holds {len(names)} different numbers ({', '.join(names[:4])}, ...): it "
              "looks like a measurement, not a class. nnlite trains a classifier with one class per value; pick "
              "another column with --label if this is not what you meant.", file=sys.stderr)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=args.test_size, random_state=args.seed)
    print(f"{what}: {len(x_train)} training and {len(x_test)} test rows, "
          f"{x.shape[1]} features, {len(names)} classes")
    print("classes: " + ", ".join(f"{i} = {name}" for i, name in enumerate(names)))

    normalize = nnlite.layers.Normalization()
    normalize.adapt(x_train)  # mean and variance of the training rows only
    model = nnlite.Sequential(
        [nnlite.Input(shape=(x.shape[1],)), normalize]
        + [nnlite.layers.Dense(size, activation=args.activation) for size in args.hidden]
        + [nnlite.layers.Dense(len(names), activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if args.verbose:
        model.summary()
    where = _Where()
    callbacks: list[nnlite.callbacks.Callback] = [where]
    if args.patience:
        callbacks.append(nnlite.callbacks.EarlyStopping(patience=args.patience, restore_best_weights=True,
                                                        verbose=min(args.verbose, 1)))
    steps = math.ceil(len(x_train) * (1 - args.validation_split) / args.batch_size)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported by fit, once
        try:
            model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                      validation_split=args.validation_split, verbose=args.verbose, callbacks=callbacks)
        except KeyboardInterrupt:
            _interrupted(model, args, where, steps, names)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    wrong = int(np.sum(predicted != y_test))
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f} ({wrong} of {len(y_test)} misclassified)")
    if args.save is not None:
        _save(model, args.save, names, "trained")
    return accuracy


def run() -> None:
    """The ``nnlite`` command."""
    main()


if __name__ == "__main__":
    run()
