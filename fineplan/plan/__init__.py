"""Plans: the closed action vocabulary, the frozen Plan and its pure builder."""
