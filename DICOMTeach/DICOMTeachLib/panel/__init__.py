"""The teaching panel's view models (Qt-free) and its Qt widget code (given the Qt namespace).

``model.TeachingPanelModel`` decides what is shown; ``qt_panel.TeachingPanel``
displays it in Slicer's PythonQt or in PyQt5, whichever ``qt_shim.qt_namespace()``
finds.
"""
