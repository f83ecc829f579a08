"""Apply: run a Plan's stages through each kind's step (`fineplan.apply.context.ApplyRules`), journal to state,
emit typed events."""
