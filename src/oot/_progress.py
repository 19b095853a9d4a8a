"""The progress bar: tqdm's notebook bar where it can draw, the plain bar elsewhere.

``tqdm.auto`` picks the notebook bar in any Jupyter kernel, and without ipywidgets that
bar cannot draw: it warns "IProgress not found. Please update jupyter and ipywidgets"
and falls back. oot checks for ipywidgets first and uses the plain text bar when it is
missing, so a plain Jupyter install shows a bar and no warning.
"""

from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["progress_bar"]


def _bar_class() -> Any:
    if importlib.util.find_spec("ipywidgets") is None:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


def progress_bar(**kwargs: Any) -> Any:
    """A tqdm bar (``total=``, ``desc=``, ...): the notebook bar when ipywidgets is
    installed and the code runs in a notebook, the plain bar otherwise.

    Examples
    --------
    >>> import io
    >>> from oot._progress import progress_bar
    >>> bar = progress_bar(total=2, file=io.StringIO())
    >>> bar.update(2); bar.close()
    """
    return _bar_class()(**kwargs)
