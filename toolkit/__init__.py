"""survivor-qda: qualitative analysis of interviews with survivors of trafficking, offline by design.

Start with :func:`toolkit.store.engine.open_store` to open a project store, :func:`toolkit.corpus.importer.import_files`
to bring transcripts in, :func:`toolkit.coding.codebook.load_codebook` and :func:`toolkit.coding.codings.import_codings`
to code them. Nothing here downloads anything; models load from installed packages only.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("survivor-qda")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
