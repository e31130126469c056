"""Sum the counts of each word; rows of one word arrive together, sorted by word."""

from ytjobs.io import groups, read_rows, write_row

for word, rows in groups(read_rows(), "word"):
    write_row({"word": word, "count": sum(row["count"] for row in rows)})
