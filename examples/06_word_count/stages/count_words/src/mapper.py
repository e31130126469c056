"""Emit one row per word."""

from ytjobs.io import read_rows, write_row

for row in read_rows():
    for word in row["text"].split():
        write_row({"word": word, "count": 1})
