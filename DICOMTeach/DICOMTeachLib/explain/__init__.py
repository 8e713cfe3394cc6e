"""Explain any instance against its IOD: breakdown, file anatomy, problems, and their views.

    from DICOMTeachLib.explain import explain, render_text
    print(render_text(explain("CT_small.dcm")))
"""

from .breakdown import explain
from .model import AttributeReport, Explanation, ModuleReport, Problem
from .text import render_text

__all__ = ["AttributeReport", "Explanation", "ModuleReport", "Problem", "explain", "render_text"]
