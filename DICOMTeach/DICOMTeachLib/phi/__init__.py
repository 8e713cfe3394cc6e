"""PHI: the PS3.15 Basic Profile action of each attribute, a masked view, and de-identification.

- :mod:`.actions`: each attribute's profile action, explained in words.
- :mod:`.mask`: hide PHI values of an explanation for projection in a classroom.
- :mod:`.deidentify`: write de-identified copies (UIDs replaced consistently across files).
"""

from .actions import PHIAction, PHIElement, explain_code, phi_action, phi_attributes, resolve_code
from .deidentify import Change, DeidentifiedFile, DeidentifyReport, SkippedFile, UIDMap, deidentify
from .mask import mask_dataset_text, mask_explanation, mask_value

__all__ = [
    "Change", "DeidentifiedFile", "DeidentifyReport", "PHIAction", "PHIElement", "SkippedFile", "UIDMap",
    "deidentify", "explain_code", "mask_dataset_text", "mask_explanation", "mask_value", "phi_action",
    "phi_attributes", "resolve_code",
]
