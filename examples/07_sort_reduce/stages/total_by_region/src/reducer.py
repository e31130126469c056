"""One output row per region, with the sales count, the total and the largest sale."""

from ytjobs.io import groups, read_rows, write_row

for region, rows in groups(read_rows(), "region"):
    amounts = [row["amount"] for row in rows]
    write_row({"region": region, "sales": len(amounts), "total": sum(amounts), "max": amounts[-1]})
