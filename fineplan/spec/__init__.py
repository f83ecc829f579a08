"""The spec language: pydantic models, the located YAML loader and JSON Schema export."""
