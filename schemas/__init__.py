"""Arrow schemas: the single source of truth for every warehouse table (DDL, validation, docs)."""
from schemas.tables import TABLES, add_missing_columns_sql, ddl, empty_table, primary_key, replace_key, schema, to_arrow, validate

__all__ = ["TABLES", "add_missing_columns_sql", "ddl", "empty_table", "primary_key", "replace_key", "schema", "to_arrow", "validate"]
