"""DICOMTeachLib: the Qt-free library behind the DICOMTeach Slicer extension.

Everything that can run without Qt lives here: reading headers, explaining an
instance against its IOD, examining series, building MRML nodes. The Slicer
module widget, the DICOM plugin and the ``dicomteach`` command are thin views
over it, so the tests exercise the same code that Slicer runs.
"""

__version__ = "0.1.0"
