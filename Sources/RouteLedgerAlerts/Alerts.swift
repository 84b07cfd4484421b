// Alert rules, state and notifiers.
