"""Apply: walk a Plan, call the provider, journal to state, emit typed events."""
