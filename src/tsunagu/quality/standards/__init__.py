"""デジタル庁「自治体標準オープンデータセット」 as Frictionless Table Schemas.

Each set is one JSON file in `schemas/` (`<番号>_<english_name>.json`) whose `source` records the
definition it follows and how far its columns were verified. Load them with `list_standards()` /
`get_standard()`; recognise a file's header with `guess_standard()`.
"""

from tsunagu.quality.standards.matching import (
    StandardGuess,
    column_key,
    guess_standard,
    map_columns,
    match_column,
)
from tsunagu.quality.standards.model import (
    Standard,
    StandardField,
    UnknownStandard,
    get_standard,
    list_standards,
)

__all__ = [
    "Standard",
    "StandardField",
    "StandardGuess",
    "UnknownStandard",
    "column_key",
    "get_standard",
    "guess_standard",
    "list_standards",
    "map_columns",
    "match_column",
]
