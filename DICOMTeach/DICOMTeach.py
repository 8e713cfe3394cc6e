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
    """The teaching panel: a thin view over DICOMTeachLib.

    Pick a loaded DICOM node (or any file), and read its explanation: SOP Class and
    IOD, entities, modules, attributes and problems, file anatomy, PHI. The
    exercises box answers the course's two questions for any IOD.
    """

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._lastHtml = ""

    def setup(self):
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/DICOMTeach.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = DICOMTeachLogic()

        self.ui.nodeSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onNodeChanged)
        self.ui.explainNodeButton.connect("clicked(bool)", self.onExplainNode)
        self.ui.explainFileButton.connect("clicked(bool)", self.onExplainFile)
        self.ui.openInBrowserButton.connect("clicked(bool)", self.onOpenInBrowser)
        self.ui.mandatoryButton.connect("clicked(bool)", self.onMandatory)
        self.ui.diagramButton.connect("clicked(bool)", self.onDiagram)
        self.layout.addStretch(1)
        self.onNodeChanged(self.ui.nodeSelector.currentNode())

    def onNodeChanged(self, node):
        count = len(self.logic.instanceFilesForNode(node)) if node else 0
        self.ui.instanceSpinBox.maximum = max(count, 1)
        self.ui.instanceSpinBox.enabled = count > 1
        self.ui.explainNodeButton.enabled = count > 0
        self.ui.explainNodeButton.toolTip = (
            _("Explain instance {0} of {1} of the selected node").format(self.ui.instanceSpinBox.value, count)
            if count else _("The selected node was not loaded from the DICOM database"))

    def onExplainNode(self):
        files = self.logic.instanceFilesForNode(self.ui.nodeSelector.currentNode())
        if files:
            self._showExplanation(files[min(self.ui.instanceSpinBox.value, len(files)) - 1])

    def onExplainFile(self):
        import qt

        path = qt.QFileDialog.getOpenFileName(self.parent, _("Choose a DICOM file"))
        if path:
            self._showExplanation(path)

    def _showExplanation(self, path):
        with slicer.util.tryWithErrorDisplay(_("Could not explain the file."), waitCursor=True):
            self._lastHtml = self.logic.explainFileAsHtml(path, maskPHI=self.ui.maskPHICheckBox.checked)
            self.ui.reportBrowser.setHtml(self._lastHtml)
            self.ui.openInBrowserButton.enabled = True

    def onOpenInBrowser(self):
        import os
        import tempfile

        import qt

        if not self._lastHtml:
            return
        path = os.path.join(tempfile.mkdtemp(prefix="DICOMTeach-"), "explained.html")
        with open(path, "w", encoding="utf-8") as page:
            page.write(self._lastHtml)
        qt.QDesktopServices.openUrl(qt.QUrl.fromLocalFile(path))

    def onMandatory(self):
        with slicer.util.tryWithErrorDisplay(_("Unknown IOD."), waitCursor=True):
            self.ui.reportBrowser.setPlainText(self.logic.mandatoryAttributesText(self.ui.iodLineEdit.text))

    def onDiagram(self):
        import os
        import tempfile

        import qt

        with slicer.util.tryWithErrorDisplay(_("Could not draw the IOD."), waitCursor=True):
            path = os.path.join(tempfile.mkdtemp(prefix="DICOMTeach-"), "iod.svg")
            self.logic.drawIOD(self.ui.iodLineEdit.text, path)
            qt.QDesktopServices.openUrl(qt.QUrl.fromLocalFile(path))


#
# DICOMTeachLogic
#


class DICOMTeachLogic(ScriptedLoadableModuleLogic):
    """Entry points for the panel, the Python console and tutorials; no GUI here.

    In the Python console::

        logic = slicer.util.getModuleLogic("DICOMTeach")
        print(logic.explainFileAsText("/path/to/file.dcm"))
        print(logic.mandatoryAttributesText("MR Image"))
    """

    def explainFile(self, path):
        """The Explanation dataclass of one file (see DICOMTeachLib.explain)."""
        from DICOMTeachLib.explain import explain

        return explain(path)

    def explainFileAsText(self, path, maskPHI=False, full=False):
        """A plain-text report on one DICOM file (what `dicomteach explain [--full] PATH` prints)."""
        from DICOMTeachLib.report import explain_as_text

        return explain_as_text(path, mask_phi=maskPHI, full=full)

    def explainFileAsHtml(self, path, maskPHI=False):
        """The self-contained HTML page `dicomteach explain PATH --html` writes."""
        from DICOMTeachLib.explain.html import render_html
        from DICOMTeachLib.explain.masking import apply_phi_mask

        explanation = self.explainFile(path)
        if maskPHI:
            explanation = apply_phi_mask(explanation)
        return render_html([explanation])

    def instanceFilesForNode(self, node):
        """Files of the DICOM instances a node was loaded from, in the node's own order."""
        from DICOMTeachLib.hierarchy import instance_uids_of

        if node is None:
            return []
        uids = instance_uids_of(node)
        if not uids:
            shNode = slicer.mrmlScene.GetSubjectHierarchyNode()
            item = shNode.GetItemByDataNode(node)
            uids = shNode.GetItemUID(item, "DICOMInstanceUID").split() if item else []
        database = getattr(slicer, "dicomDatabase", None)
        if database is None:
            return []
        return [path for path in (database.fileForInstance(uid) for uid in uids) if path]

    def mandatoryAttributesText(self, iodKey):
        """The course exercise: every type 1 and 2 attribute of an IOD's mandatory modules."""
        from DICOMTeachLib.exercises import mandatory_attributes

        return mandatory_attributes(iodKey).render_text()

    def drawIOD(self, iodKey, outputPath):
        """The course exercise: draw an IOD (entities, modules, attributes coloured by type) as SVG or PNG."""
        from DICOMTeachLib.exercises.diagram import iod_diagram, write_diagram

        write_diagram(iod_diagram(iodKey), outputPath)
        return outputPath


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
        self.test_MandatoryAttributes()

    def test_ExplainBundledFile(self):
        from DICOMTeachLib.testdata import pydicom_test_file

        self.delayDisplay("Explaining pydicom's CT_small.dcm")
        text = DICOMTeachLogic().explainFileAsText(str(pydicom_test_file("CT_small.dcm")))
        self.assertIn("CT Image", text)
        logging.info(text.splitlines()[0])
        self.delayDisplay("Test passed")

    def test_MandatoryAttributes(self):
        self.delayDisplay("Listing the mandatory attributes of the MR Image IOD")
        text = DICOMTeachLogic().mandatoryAttributesText("MR Image")
        self.assertIn("PatientName", text)
        self.delayDisplay("Test passed")
