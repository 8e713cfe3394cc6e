"""One Qt namespace for the panel: Slicer's PythonQt ``qt`` module in the app, PyQt5 elsewhere.

PythonQt puts every Qt class in one module (``qt.QWidget``, ``qt.Qt``); PyQt5
splits them over QtCore, QtGui and QtWidgets. The panel code only uses
``qt.<Class>``, so a namespace that merges PyQt5's three modules serves it the
same way. Nothing here is imported at Slicer startup unless the panel is shown.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

_PYQT5: SimpleNamespace | None = None


def pyqt5_namespace() -> SimpleNamespace:
    """PyQt5's QtCore, QtGui and QtWidgets merged into one namespace (what ``import qt`` gives in Slicer)."""
    global _PYQT5
    if _PYQT5 is None:
        namespace = SimpleNamespace()
        for name in ("QtCore", "QtGui", "QtWidgets"):
            module = importlib.import_module(f"PyQt5.{name}")
            for attribute in dir(module):
                if attribute.startswith("Q") or attribute == "Qt":
                    setattr(namespace, attribute, getattr(module, attribute))
        _PYQT5 = namespace
    return _PYQT5


def qt_namespace() -> Any:
    """Slicer's ``qt`` module when running inside Slicer, else PyQt5's merged namespace."""
    try:
        import qt  # Slicer's PythonQt

        if hasattr(qt, "QWidget"):
            return qt
    except ImportError:
        pass
    return pyqt5_namespace()


def monospace_font(qt: Any) -> Any:
    """The system's fixed-pitch font; a monospace family when that one is not fixed (Qt's offscreen
    platform answers DejaVu Sans), so columns of bytes and command fields line up everywhere."""
    font = qt.QFontDatabase.systemFont(qt.QFontDatabase.FixedFont)
    if not qt.QFontInfo(font).fixedPitch():
        font.setFamily("Monospace")
        font.setStyleHint(qt.QFont.TypeWriter)
    return font
