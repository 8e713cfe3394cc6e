"""DICOM Structured Reports: examine headers, read any content tree, TID 1500 measurements, build nodes."""
