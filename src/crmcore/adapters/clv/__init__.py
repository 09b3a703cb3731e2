"""CLV models on NumPy/SciPy: BG/NBD for purchases and P(alive), Gamma-Gamma for spend."""

from crmcore.adapters.clv.model import ColumnPredictions, Columns, NumpyClvModel

__all__ = ["ColumnPredictions", "Columns", "NumpyClvModel"]
