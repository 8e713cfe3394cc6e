"""The hook to the PHI masking, which lives in ``DICOMTeachLib.phi.mask`` (owned by the PHI work).

Kept in one place so the command line and the panel fail the same clear way
while that module is not there.
"""

from __future__ import annotations

import importlib

from ..errors import DICOMTeachError
from .model import Explanation

MASK_MODULE = "DICOMTeachLib.phi.mask"


def apply_phi_mask(explanation: Explanation) -> Explanation:
    """``DICOMTeachLib.phi.mask.mask_explanation(explanation)``; DICOMTeachError when it is unavailable."""
    try:
        module = importlib.import_module(MASK_MODULE)
    except ModuleNotFoundError as error:
        if error.name and MASK_MODULE.startswith(error.name):
            raise DICOMTeachError(f"PHI masking is not available in this version ({MASK_MODULE} is missing)") \
                from error
        raise
    mask = getattr(module, "mask_explanation", None)
    if mask is None:
        raise DICOMTeachError(f"PHI masking is not available: {MASK_MODULE} has no mask_explanation()")
    masked = mask(explanation)
    return masked if masked is not None else explanation
