"""Transcripts in the store: segmentation, import, case attributes."""
