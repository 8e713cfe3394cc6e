"""Scalar volumes: examine image series as Slicer's scalar volume plugin does, and build their nodes."""
