"""How it looks: one page module per dashboard; thin callbacks that call data_access."""
