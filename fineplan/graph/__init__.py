"""A small generic DAG and one parallel, event-driven walk of it. Knows nothing of specs or kinds (the project's
resource graph is built in `fineplan.spec.references`)."""
