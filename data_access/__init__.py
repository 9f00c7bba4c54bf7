"""Everything that reads or writes the store. SQL lives here and nowhere else."""
