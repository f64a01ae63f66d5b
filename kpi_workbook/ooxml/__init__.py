"""An Office Open XML package library: reading, checking and editing .xlsx packages part by part.

Standard library and defusedxml only; it knows nothing of KPIs. Inside it names are public: the
sub-package is the boundary.
"""
