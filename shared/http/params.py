"""Parameter types the services share: ids of rows PostgreSQL keeps as bigint, so that a number beyond it is a clear
422 at the edge (``out_of_range``, naming the parameter) rather than an error in the database."""

from typing import Annotated

from fastapi import Path

RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A row's id (1 to 2^63-1)")]
