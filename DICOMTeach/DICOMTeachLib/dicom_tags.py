"""The header tags examine reads, as Slicer's DICOM database names them ("gggg,eeee").

The plugin declares them in ``DICOMPlugin.tags`` so that Slicer's database
caches them at import time; every other tag costs a file parse during examine.
"""

from pydicom.datadict import tag_for_keyword

from .tag_format import tag_text

EXAMINED_KEYWORDS = (
    "SOPClassUID", "SOPInstanceUID", "Modality", "PatientID", "PatientName", "PatientSex",
    "PatientBirthDate", "StudyInstanceUID", "StudyID", "StudyDescription", "StudyDate", "StudyTime",
    "SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "AcquisitionNumber", "InstanceNumber",
    "ImageType", "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SliceThickness",
    "Rows", "Columns", "NumberOfFrames", "BitsAllocated", "PhotometricInterpretation",
    "RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth", "FrameOfReferenceUID",
    "TemporalPositionIdentifier", "TriggerTime", "AcquisitionTime", "DiffusionGradientOrientation",
    "ContentSequence", "ReferencedSeriesSequence", "SegmentationType",
)


#: name -> "gggg,eeee", the form DICOMPlugin.tags uses.
PRECACHED_TAGS: dict[str, str] = {keyword: tag_text(tag_for_keyword(keyword))[1:-1] for keyword in EXAMINED_KEYWORDS}
