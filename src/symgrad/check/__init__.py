"""Check stage: derivatives compared with SymPy's and with finite differences."""
