"""DICOMTeach: learn DICOM inside 3D Slicer.

The module panel explains the selected DICOM instance against its IOD
(information entities, modules, attributes, file anatomy, PHI). All the work is
done by the Qt-free library DICOMTeachLib (next to this file); the classes here
follow Slicer's scripted module template and stay thin.
"""

import logging

import slicer
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

try:
    from slicer.i18n import tr as _
except ImportError:  # Slicer without i18n support

    def _(text):
        return text


#
# DICOMTeach
#


class DICOMTeach(ScriptedLoadableModule):
    """Module description shown in Slicer's module list and help panel."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("DICOM Teach")
        self.parent.categories = [_("Informatics")]
        self.parent.dependencies = ["DICOM"]
        self.parent.contributors = ["DICOMTeach developers"]
        self.parent.helpText = _(
            "Learn DICOM with the files you load: select an instance to see its SOP Class and IOD, "
            "the information entities, modules (M/C/U) and attributes (type 1/1C/2/2C/3) with what is "
            "missing, empty or wrong; the anatomy of the file; the patient/study/series/instance UIDs; "
            "and which attributes carry PHI. Series, segmentations and structured reports load "
            "through the DICOM module (plugin 'DICOMTeachPlugin')."
        )
        self.parent.helpText += self.getDefaultModuleDocumentationLink()
        self.parent.acknowledgementText = _(
            "Built on pydicom, highdicom and 3D Slicer. Facts about the standard are generated from "
            "the DICOM standard's tables (NEMA PS3)."
        )


#
# DICOMTeachWidget
#


class DICOMTeachWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The teaching panel: a thin view over DICOMTeachLib."""

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/DICOMTeach.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = DICOMTeachLogic()
        self.ui.explainFileButton.connect("clicked(bool)", self.onExplainFile)
        self.layout.addStretch(1)

    def onExplainFile(self):
        import qt

        path = qt.QFileDialog.getOpenFileName(self.parent, _("Choose a DICOM file"))
        if not path:
            return
        with slicer.util.tryWithErrorDisplay(_("Could not explain the file."), waitCursor=True):
            self.ui.reportBrowser.setPlainText(self.logic.explainFileAsText(path))


#
# DICOMTeachLogic
#


class DICOMTeachLogic(ScriptedLoadableModuleLogic):
    """Entry points for the panel, the Python console and tutorials; no GUI here."""

    def explainFileAsText(self, path):
        """A plain-text report on one DICOM file (what `dicomteach explain PATH` prints)."""
        from DICOMTeachLib.report import explain_as_text

        return explain_as_text(path)


#
# DICOMTeachTest
#


class DICOMTeachTest(ScriptedLoadableModuleTest):
    """Self-test runnable in the app (Reload and Test)."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_ExplainBundledFile()

    def test_ExplainBundledFile(self):
        from DICOMTeachLib.testdata import pydicom_test_file

        self.delayDisplay("Explaining pydicom's CT_small.dcm")
        text = DICOMTeachLogic().explainFileAsText(str(pydicom_test_file("CT_small.dcm")))
        self.assertIn("CT Image", text)
        logging.info(text.splitlines()[0])
        self.delayDisplay("Test passed")
