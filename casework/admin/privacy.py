"""The register of fields holding personal data, read from the models' column info
(casework.db.personal). It feeds the 個人情報ファイル簿 the city publishes, and it cannot drift
from the schema: a new column is in the register the moment it is marked."""

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class PersonalField:
    table: str
    column: str
    label: str
    sensitive: bool


def personal_data_register(metadata: sa.MetaData) -> list[PersonalField]:
    return [
        PersonalField(table.name, column.name, column.info["personal"], bool(column.info.get("sensitive")))
        for table in metadata.sorted_tables
        for column in table.columns
        if "personal" in column.info
    ]
