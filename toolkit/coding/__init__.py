"""Human coding: codebooks, codings, review decisions, memos, the blind policy."""
