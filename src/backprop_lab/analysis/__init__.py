"""Reading finished runs back: comparison tables, plots, verdicts, the filmstrip, the loss landscape."""
