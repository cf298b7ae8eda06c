"""The peer: dlt loading the same JSON Lines into the same database engine, in its best configuration.

DESIGN section 9: the Arrow reader (``pyarrow.json.read_json``, nested objects flattened to columns),
merge on the SKU, ``create_primary_keys=True`` on SQLite (without it dlt's merge is quadratic);
PostgreSQL uses dlt's ``upsert`` merge strategy. Imported only inside the measured child process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _arrow_table(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    table = pj.read_json(path)
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    # a SKU repeated in the file would break the merge's primary key: keep its last row, as the hub does
    numbered = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by("identifier").aggregate([("_row", "max")]).column("_row_max")
    table = table.take(pc.take(last, pc.sort_indices(last)))
    # lists of strings (image URLs) become JSON text, as the hub keeps them (dlt's PostgreSQL loader
    # takes no nested Arrow columns); the URLs hold no quotes, so joining them is valid JSON
    for index, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            joined = pc.binary_join_element_wise('["', pc.binary_join(table.column(index), '","'), '"]', "")
            empty = pc.equal(pc.list_value_length(table.column(index)), 0)
            table = table.set_column(index, field.name, pc.if_else(empty, "[]", joined))
    return table.rename_columns([name.replace(".", "__") for name in table.column_names])


def load(path: Path, engine: str, url: str, work: Path, dataset: str) -> dict[str, Any]:
    """Merge the file into ``dataset.products`` keyed by ``identifier``; returns rows loaded."""
    import dlt

    if engine == "sqlite":
        destination = dlt.destinations.sqlalchemy(url, create_primary_keys=True)
        strategy = "delete-insert"
    else:
        destination = dlt.destinations.postgres(url)
        strategy = "upsert"
    table = _arrow_table(path)

    @dlt.resource(
        name="products",
        primary_key="identifier",
        write_disposition={"disposition": "merge", "strategy": strategy},
    )
    def products() -> Any:
        yield table

    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{dataset}",
        destination=destination,
        dataset_name=dataset,
        pipelines_dir=str(work / "dlt"),
        progress=None,
    )
    info = pipeline.run(products())
    info.raise_on_failed_jobs()
    return {"rows": table.num_rows, "columns": table.num_columns}
