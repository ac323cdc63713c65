"""Findings from coded data: frames, generic counts, agreement, status, plots."""
