"""What every layer shares: typed values and quantities, term sheets and their canonical form,
lineage records and events, errors. Imports nothing of tracker's other layers."""
