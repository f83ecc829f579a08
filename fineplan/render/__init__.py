"""Renderers: views of diagnostics, plans and progress. The core never prints; these produce text."""
