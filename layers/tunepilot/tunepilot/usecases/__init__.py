"""One module per step of a run. Handlers call these; these call the domain and the adapters."""
