"""The Climate Quantum demo mesh: product folders, data generator and launcher."""
