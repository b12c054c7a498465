"""Model evaluation: each trained model against its base, its plots, and the gate before use."""
