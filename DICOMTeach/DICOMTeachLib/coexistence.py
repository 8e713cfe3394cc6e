"""Where DICOMTeach's loadables rank beside Slicer's own DICOM plugins: just above or just below, never level.

Slicer's DICOM browser checks, per series, every loadable that has the highest
confidence (DICOMUtils.selectHighestConfidenceLoadables), whichever plugin made
it; duplicates are removed only within one plugin. A DICOMTeach loadable with
the same confidence as a core plugin's would load the series twice. So every
examiner first gives the confidence the Slicer plugin that handles the same data
gives (the "Slicer equivalent": 0.5 for a scalar volume, 0.95 for SEG and TID
1500 SR, MultiVolumeImporter's 1.0 or 0.9 for a volume sequence...), and
:func:`rank` then moves it one step above (DICOMTeach preferred) or one step
below (Slicer preferred). A loadable DICOMTeach refuses to load always goes below.

The default is to defer to Slicer: installing a teaching extension should not
change how every series of a user's database loads (tutorials, saved scenes and
Slicer's own extras such as the acquisition-geometry transform keep working as
documented); DICOMTeach's loadables stay one click away in the browser's
advanced view, with their reasons and warnings. Where Slicer's plugins have
nothing good to offer (a 4D series MultiVolumeImporter does not recognise, which
the scalar plugin would stack into one distorted volume), DICOMTeach's loadable
is still the highest and is selected.
"""

from __future__ import annotations

from collections.abc import Iterable

from .loadable import Loadable

#: Slicer setting (QSettings key) that makes DICOMTeach's loaders win; shown in Slicer's DICOM settings.
PREFER_SETTING_KEY = "DICOM/DICOMTeach/PreferDICOMTeachLoaders"
PREFER_BY_DEFAULT = False

#: Confidences Slicer 5.12's DICOM plugins and MultiVolumeImporter give to loadables (read from their sources):
#: scalar volume 0.5 (alternatives 0.45, no pixel data 0.2), SEG/TID 1500/parametric map 0.95,
#: longitudinal TID 1500 0.96 (not registered in 5.12, but written), MultiVolumeImporter 1.0 (0.9 by
#: TemporalPositionIdentifier), image sequences 0.4/0.7/0.85/1.05, enhanced US 0.8.
SLICER_CONFIDENCES: frozenset[float] = frozenset({0.2, 0.4, 0.45, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.96, 1.0, 1.05})

#: half of Slicer's smallest gap between two of its confidences (0.95 and 0.96)
STEP = 0.005


def ranked_confidence(slicer_equivalent: float, prefer_dicomteach: bool, loadable_refused: bool = False) -> float:
    """The confidence DICOMTeach gives: one step above or below what Slicer's plugin gives."""
    above = prefer_dicomteach and not loadable_refused
    return round(slicer_equivalent + (STEP if above else -STEP), 4)


def rank(loadables: Iterable[Loadable], prefer_dicomteach: bool = PREFER_BY_DEFAULT) -> None:
    """Move every loadable's confidence off Slicer's values and say so in its reason."""
    for loadable in loadables:
        equivalent = loadable.confidence
        refused = bool(getattr(loadable.plan, "refuse", ""))
        loadable.confidence = ranked_confidence(equivalent, prefer_dicomteach, refused)
        if refused:
            side = "below, since DICOMTeach will not load it"
        elif prefer_dicomteach:
            side = "above, since DICOMTeach's loaders are preferred (setting " + PREFER_SETTING_KEY + ")"
        else:
            side = ("below, so that Slicer's own plugin is selected when it offers this series "
                    "(setting " + PREFER_SETTING_KEY + " to prefer DICOMTeach)")
        loadable.confidence_reason = (f"{loadable.confidence:.3f}, one step {side}; Slicer's equivalent: "
                                      f"{loadable.confidence_reason}")
