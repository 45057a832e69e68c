"""Pipeline stages: one module per stage, plain typed functions (Prefect wrappers live in flows/)."""
