"""Reading a table of your own: numeric feature columns and one label column, from a CSV file.

The file is read as Python's csv tools read it: the delimiter is sniffed (comma, semicolon, tab or bar),
a UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped, and with semicolons a decimal comma (``1,5``) is
read as a decimal point. A cell that is not a number is reported by its line and column, with the fix.
"""

from __future__ import annotations

import numpy as np

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})  # spellings of an empty cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _rows(path: str) -> tuple[list[list[str]], str]:
    """The non-empty rows of the file and its delimiter."""
    import csv  # read files only: import nnlite does not load it

    with open(path, newline="", encoding="utf-8-sig") as handle:
        text = handle.read()
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    rows = [row for row in csv.reader(text.splitlines(), delimiter=delimiter) if any(cell.strip() for cell in row)]
    return rows, delimiter


def _column(cells: list[str], name: str, first_line: int, path: str, decimal_comma: bool) -> np.ndarray:
    """One feature column as float64, or a ValueError naming the first cell that is not a number."""
    cleaned = [c.strip().replace(",", ".") if decimal_comma else c.strip() for c in cells]
    try:
        values = np.array(cleaned, dtype=np.float64)
    except ValueError:
        line, cell = next((i, c) for i, c in enumerate(cleaned, start=first_line) if not _is_number(c))
        if cell.lower() in MISSING:
            raise ValueError(f"load_csv: line {line} of {path}, column {name}, is empty ({cell!r}); every feature "
                             "cell needs a number: fill it in or drop the row.") from None
        texts = sum(not _is_number(c) for c in cleaned)
        raise ValueError(f"load_csv: column {name} of {path} holds text ({cell!r} on line {line}, {texts} such "
                         f"cells), not numbers; features must be numeric. If it is the label column, pass "
                         f"label={name} (--label {name.strip(chr(39))} on the command line).") from None
    bad = ~np.isfinite(values)
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + first_line
        raise ValueError(f"load_csv: line {line} of {path}, column {name}, holds {cells[line - first_line]!r}, "
                         "not a finite number; fill it in or drop the row.")
    return values


def load_csv(path: str, label: str | int = -1) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A table of numeric features and one label column: x (n, d) float64, y (n,) class indices 0..k-1.

    The first row is a header when any of its cells is not a number. ``label`` is the label column's
    header name or its 0-based index (negative counts from the end). Labels may be words or numbers;
    the returned class names, sorted, say which index is which: ``names[y[i]]``. See the module for how
    the file is read.

    Args:
        path: the CSV file.
        label: the label column: its header name, or its 0-based index (negative from the end).

    Returns:
        (x, y, names): the features (n, d) float64, the class index of each row (n,) int64, and the class names.

    Example:
        >>> import numpy as np, nnlite, os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "t.csv")
        >>> _ = open(path, "w").write("height;kind\\n1,5;small\\n7,0;big\\n")  # semicolons, decimal commas
        >>> x, y, classes = nnlite.datasets.load_csv(path, label="kind")
        >>> x.ravel().tolist(), y.tolist(), classes
        ([1.5, 7.0], [1, 0], ['big', 'small'])
    """
    rows, delimiter = _rows(path)
    if not rows:
        raise ValueError(f"load_csv: {path} holds no rows.")
    decimal_comma = delimiter == ";"
    header = None if all(_is_number(c.replace(",", ".") if decimal_comma else c) for c in rows[0]) else [
        cell.strip() for cell in rows[0]]
    body = rows[1:] if header else rows
    width = len(rows[0])
    first_line = 2 if header else 1
    for number, row in enumerate(body, start=first_line):
        if len(row) != width:
            raise ValueError(f"load_csv: line {number} of {path} has {len(row)} cells; the first row has {width} "
                             f"(cells separated by {delimiter!r}).")
    if not body:
        raise ValueError(f"load_csv: {path} has a header and no data rows.")
    if width < 2:
        raise ValueError(f"load_csv: {path} has a single column (read with the delimiter {delimiter!r}); it needs "
                         "feature columns and a label column.")
    if isinstance(label, str) and not label.lstrip("-").isdigit():
        if header is None or label not in header:
            raise ValueError(f"load_csv: no column named {label!r} in {path}; the columns are "
                             f"{header if header else 'unnamed (give the label as an index)'}.")
        column = header.index(label)
    else:
        column = int(label)
        if not -width <= column < width:
            raise ValueError(f"load_csv: label column {column} is outside the {width} columns of {path}.")
        column %= width
    names_of = [repr(header[j]) if header else f"{j}" for j in range(width)]
    x = np.stack([_column([row[j] for row in body], names_of[j], first_line, path, decimal_comma)
                  for j in range(width) if j != column], axis=1)
    raw = [row[column].strip() for row in body]
    if all(_is_number(cell) for cell in raw):
        values = np.array(raw, dtype=np.float64)
        names, y = np.unique(values, return_inverse=True)
        names = [f"{v:g}" for v in names]
    else:
        names, y = np.unique(np.array(raw), return_inverse=True)
        names = [str(v) for v in names]
    return x, y.reshape(-1).astype(np.int64), names
