"""One call for the Slicer panel: a file explained as text."""

from __future__ import annotations

from .explain import explain, render_text
from .explain.masking import apply_phi_mask


def explain_as_text(path: str, mask_phi: bool = False, full: bool = False) -> str:
    """The explanation of ``path`` as plain text; ``mask_phi`` hides PHI values (classroom projection);
    ``full``: every attribute and the file's anatomy (``explain --full``), else the readable summary.

    Raises DICOMTeachError (file and reason) when the file cannot be read.
    """
    explanation = explain(path)
    if mask_phi:
        explanation = apply_phi_mask(explanation)
    return render_text(explanation, full=full)
