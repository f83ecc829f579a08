"""A small generic DAG and its construction from a Project."""
