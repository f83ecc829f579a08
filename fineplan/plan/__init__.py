"""Plans: the closed vocabularies (actions with their replacement order, reasons, stages), the frozen Plan and its
pure builder, which prices and stages it. Kind-specific rules come in through `fineplan.plan.rules`."""
