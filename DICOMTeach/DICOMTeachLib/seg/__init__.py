"""DICOM Segmentation (SEG) objects: examine headers, decode frames, build a segmentation node."""
