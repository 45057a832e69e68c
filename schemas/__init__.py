"""Arrow schemas: the single source of truth for every warehouse table (DDL, validation, docs)."""
from schemas.tables import (TABLES, ddl, empty_table, key_columns, primary_key, replace_key, schema, to_arrow,
                            validate)

__all__ = ["TABLES", "ddl", "empty_table", "key_columns", "primary_key", "replace_key", "schema", "to_arrow",
           "validate"]
