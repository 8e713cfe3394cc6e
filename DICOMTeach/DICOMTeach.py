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
    from slicer.i18n import translate
except ImportError:  # Slicer without i18n support

    def _(text):
        return text

    def translate(context, text):
        return text

#: The extension's homepage (its README), as EXTENSION_HOMEPAGE in the top CMakeLists.txt.
HOMEPAGE = "https://github.com/dicomteach/SlicerDICOMTeach#readme"


#
# DICOMTeach
#


class DICOMTeach(ScriptedLoadableModule):
    """Module description shown in Slicer's module list and help panel."""

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("DICOM Teach")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "Informatics")]
        self.parent.dependencies = ["DICOM"]
        self.parent.contributors = ["DICOMTeach maintainers (DICOMTeach project)"]
        self.parent.helpText = _(
            "Learn DICOM with the files you load: select an instance to see its SOP Class and IOD, "
            "the information entities, modules (M/C/U) and attributes (type 1/1C/2/2C/3) with what is "
            "missing, empty or wrong; the anatomy of the file; the patient/study/series/instance UIDs; "
            "and which attributes carry PHI. Series, segmentations and structured reports load "
            "through the DICOM module (plugin 'DICOMTeachPlugin')."
        )
        self.parent.helpText += _('<p>Documentation: <a href="{url}">the DICOMTeach README</a>.</p>').format(url=HOMEPAGE)
        self.parent.acknowledgementText = _(
            "Built on pydicom, highdicom and 3D Slicer. Facts about the standard are generated from "
            "the DICOM standard's tables (NEMA PS3)."
        )


#
# DICOMTeachWidget
#


class DICOMTeachWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The teaching panel (DICOMTeachLib.panel), placed in the module and wired to what the student looks at.

    The panel itself is Qt code shared with the tests (PyQt5); this class only
    connects it to Slicer: the node selector, the Data module's subject
    hierarchy trees, the DICOM browser's series selection (classic table and
    CTK's visual browser), the crosshair and the slice views.
    """

    def __init__(self, parent=None):
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self.panel = None
        self._sliceFollowers = []
        self._crosshairFollower = None
        self._treeViews = []
        self._dicomTableManager = None
        self._classicSelection = None
        self._visualBrowserFollower = None
        self._pending = None

    def setup(self):
        import qt

        from DICOMTeachLib.panel.model import TeachingPanelModel
        from DICOMTeachLib.panel.qt_panel import TeachingPanel

        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/DICOMTeach.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = DICOMTeachLogic()

        self.panel = TeachingPanel(qt, TeachingPanelModel(resolve=self.logic.fileForInstance),
                                   ensure_networking=self.onNetworkingNeeded)
        self.ui.panelContainer.layout().addWidget(self.panel.widget)

        self.ui.nodeSelector.currentNodeChanged.connect(self.onNodeChanged)
        self.ui.explainFileButton.clicked.connect(self.onExplainFile)
        self.ui.followCheckBox.toggled.connect(self.onFollowToggled)
        self.ui.mandatoryButton.clicked.connect(self.onMandatory)
        self.ui.diagramButton.clicked.connect(self.onDiagram)
        self.ui.bitsButton.clicked.connect(self.onBits)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneClosed)
        if self.ui.followCheckBox.isChecked():
            self.startFollowing()

    def enter(self):
        if self.ui.followCheckBox.isChecked():
            self._connectTreeViews()  # the Data module's tree exists only once that module was shown
            if self._dicomTableManager is None and self._visualBrowserFollower is None:
                self._connectDICOMBrowser()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending()

    def cleanup(self):
        self.stopFollowing()
        self.removeObservers()

    # -- following what the student looks at ----------------------------------------------------
    # Selections made while this module is hidden (in the Data or DICOM module) are kept and shown
    # when the student comes back, rather than explained unseen.

    def _whenVisible(self, action):
        if self.parent.isVisible():
            action()
        else:
            self._pending = action

    def onFollowToggled(self, checked):
        if checked:
            self.startFollowing()
        else:
            self.stopFollowing()

    def startFollowing(self):
        from DICOMTeachLib.panel.follow import CrosshairFollower, SliceFollower

        self.stopFollowing()
        self._connectTreeViews()
        self._connectDICOMBrowser()
        for sliceNode in slicer.util.getNodesByClass("vtkMRMLSliceNode"):
            layoutName = sliceNode.GetLayoutName()
            self._sliceFollowers.append(SliceFollower(
                sliceNode, lambda name=layoutName: self._backgroundVolume(name), self.onSliceMoved))
        # Shift+move sets the crosshair in any view (also one that cuts across the slices): the point followed.
        crosshair = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLCrosshairNode")
        if crosshair is not None:
            self._crosshairFollower = CrosshairFollower(crosshair, lambda: self.panel.model.node, self.onSliceMoved)

    def stopFollowing(self):
        for follower in self._sliceFollowers:
            follower.stop()
        self._sliceFollowers = []
        if self._crosshairFollower is not None:
            self._crosshairFollower.stop()
            self._crosshairFollower = None
        if self._visualBrowserFollower is not None:
            self._visualBrowserFollower.stop()
            self._visualBrowserFollower = None
        for view in self._treeViews:
            try:
                view.currentItemChanged.disconnect(self.onSubjectHierarchyItemChanged)
            except (RuntimeError, TypeError, ValueError):  # the view was deleted
                pass
        self._treeViews = []
        if self._dicomTableManager is not None:
            try:
                self._dicomTableManager.seriesSelectionChanged.disconnect(self.onDICOMSeriesSelected)
            except (RuntimeError, TypeError, ValueError):
                pass
            self._dicomTableManager = None

    def _connectTreeViews(self):
        for view in slicer.util.findChildren(className="qMRMLSubjectHierarchyTreeView"):
            if view not in self._treeViews:
                view.currentItemChanged.connect(self.onSubjectHierarchyItemChanged)
                self._treeViews.append(view)

    def _slicerDICOMBrowser(self):
        """The DICOM module's SlicerDICOMBrowser (DICOMLib/DICOMBrowser.py), which holds both browsers; None
        without the DICOM module."""
        try:
            return slicer.modules.dicom.widgetRepresentation().self().browserWidget
        except AttributeError:
            return None

    def _connectDICOMBrowser(self):
        """Follow the series selected in the DICOM module: the classic browser's series table and CTK's visual
        browser (Slicer shows one of them, setting DICOM/UseVisualDICOMBrowser). A browser of another shape
        is left unfollowed, never an error."""
        import qt

        from DICOMTeachLib.panel.browser_follow import SeriesSelectionTracker, VisualBrowserFollower

        browser = self._slicerDICOMBrowser()
        if browser is None:
            return
        try:
            manager = browser.dicomBrowser.dicomTableManager()
            manager.seriesSelectionChanged.connect(self.onDICOMSeriesSelected)
            self._dicomTableManager = manager
            self._classicSelection = SeriesSelectionTracker()
        except (AttributeError, TypeError, ValueError):  # no classic browser, or a table manager without it
            self._dicomTableManager = None
        visual = getattr(browser, "dicomVisualBrowser", None)
        if visual is not None:
            self._visualBrowserFollower = VisualBrowserFollower(
                visual, self.onDICOMSeriesPicked, qt, is_shown=lambda: visual.isVisible())
            if not self._visualBrowserFollower.how:
                logging.info("DICOMTeach: %s", self._visualBrowserFollower.reason)

    def onSliceMoved(self, volumeNode, ras):
        self._whenVisible(lambda: self.panel.followPoint(volumeNode, ras))

    def _backgroundVolume(self, layoutName):
        sliceWidget = slicer.app.layoutManager().sliceWidget(layoutName) if slicer.app.layoutManager() else None
        if sliceWidget is None:
            return None
        volumeID = sliceWidget.mrmlSliceCompositeNode().GetBackgroundVolumeID()
        return slicer.mrmlScene.GetNodeByID(volumeID) if volumeID else None

    def onSubjectHierarchyItemChanged(self, itemID):
        shNode = slicer.mrmlScene.GetSubjectHierarchyNode()
        node = shNode.GetItemDataNode(itemID) if itemID else None
        if node is not None:
            self._whenVisible(lambda: self._selectNode(node))

    def _selectNode(self, node):
        self.ui.nodeSelector.setCurrentNode(node)
        if self.ui.nodeSelector.currentNode() is not node:  # a node type the selector does not list
            self.panel.showNode(node)

    def onDICOMSeriesSelected(self, *args):
        """The classic browser's series table: its whole selection, of which the series just picked is shown.

        ctkDICOMTableManager's seriesSelectionChanged is overloaded (QStringList) and (QItemSelection,
        QItemSelection): whichever PythonQt delivers, the UIDs are the list, or else the browser's
        selectedItems(SeriesType) (what Slicer's toggleBrowsers reads)."""
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            uids = args[0]
        else:
            import ctk

            try:
                uids = self._slicerDICOMBrowser().dicomBrowser.selectedItems(ctk.ctkDICOMModel.SeriesType)
            except (AttributeError, TypeError, ValueError):
                return
        picked = self._classicSelection.update(uids) if self._classicSelection is not None else None
        if picked:
            self.onDICOMSeriesPicked(picked)

    def onDICOMSeriesPicked(self, uid):
        from DICOMTeachLib.panel.browser_follow import series_files

        series = series_files(getattr(slicer, "dicomDatabase", None), uid)
        self._whenVisible(lambda: self.panel.showFiles(series.name, series.files, series.message))

    def onNodeChanged(self, *_args):
        # currentNodeChanged is overloaded (vtkMRMLNode*, bool): read the node from the selector either way.
        self.panel.showNode(self.ui.nodeSelector.currentNode())

    def onSceneClosed(self, caller=None, event=None):
        self.panel.showNode(None)

    # -- buttons --------------------------------------------------------------------------------

    def onExplainFile(self):
        import qt

        path = qt.QFileDialog.getOpenFileName(self.parent, _("Choose a DICOM file"))
        if path:
            self.panel.showFile(path)

    def onMandatory(self):
        with slicer.util.tryWithErrorDisplay(_("Unknown IOD."), waitCursor=True):
            self.ui.exerciseOutput.setPlainText(self.logic.mandatoryAttributesText(self.ui.iodLineEdit.text()))

    def onDiagram(self):
        import os
        import tempfile

        import qt

        with slicer.util.tryWithErrorDisplay(_("Could not draw the IOD."), waitCursor=True):
            path = os.path.join(tempfile.mkdtemp(prefix="DICOMTeach-"), "iod.svg")
            self.logic.drawIOD(self.ui.iodLineEdit.text(), path)
            qt.QDesktopServices.openUrl(qt.QUrl.fromLocalFile(path))

    def onNetworkingNeeded(self):
        """Before the PACS tab's first exchange: install pynetdicom and dicomweb-client if Slicer lacks them."""
        from DICOMTeachLib.net.deps import missing_packages

        missing = missing_packages()
        if not missing:
            return
        if not slicer.util.confirmOkCancelDisplay(
                _("The PACS tab needs {0}, not installed in Slicer yet. Install now (pip)?").format(
                    ", ".join(missing)), windowTitle=_("DICOM Teach")):
            raise RuntimeError(_("installation declined"))
        with slicer.util.WaitCursor():
            self.logic.ensureNetworking()

    def onBits(self):
        path = self.panel.content.path
        if not path:
            self.ui.exerciseOutput.setPlainText(_("Explain an image first: the exercise uses its pixels."))
            return
        with slicer.util.tryWithErrorDisplay(_("Could not decode the pixel."), waitCursor=True):
            self.ui.exerciseOutput.setPlainText(self.logic.bitsExerciseText(path))


#
# DICOMTeachLogic
#


class DICOMTeachLogic(ScriptedLoadableModuleLogic):
    """Entry points for the panel, the Python console and tutorials; no GUI here.

    In the Python console::

        logic = slicer.util.getModuleLogic("DICOMTeach")
        print(logic.explainFileAsText("/path/to/file.dcm"))
        print(logic.mandatoryAttributesText("MR Image"))
        print(logic.queryPacs("127.0.0.1:4242", "study", {"PatientName": "*"}, calledAE="ORTHANC"))
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

    def fileForInstance(self, uid):
        """The file of a SOP Instance UID in Slicer's DICOM database ("" when unknown)."""
        database = getattr(slicer, "dicomDatabase", None)
        return database.fileForInstance(uid) if database is not None and uid else ""

    def bitsExerciseText(self, path):
        """Exercise 3 of the course: bits of an image and one pixel decoded from its bytes."""
        from DICOMTeachLib.exercises.bits import bits_exercise

        return bits_exercise(path).render_text()

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

    # Network: send and query with every message explained (Slicer's DICOM module stays the way to import).

    def ensureNetworking(self):
        """Install pynetdicom and dicomweb-client on first use (never when the module is imported)."""
        from DICOMTeachLib.net.deps import missing_packages

        missing = missing_packages()
        if missing:
            slicer.util.pip_install(missing)
        return missing

    def echoPacs(self, address, calledAE="ANY-SCP", callingAE="DICOMTEACH"):
        """C-ECHO "HOST:PORT" and return the exchange explained (association, command sets, status)."""
        self.ensureNetworking()
        from DICOMTeachLib.net.console import echo_text

        return echo_text(address, calledAE, callingAE)

    def sendSeriesToPacs(self, seriesInstanceUID, address, calledAE="ANY-SCP", callingAE="DICOMTEACH"):
        """C-STORE a series of Slicer's DICOM database to "HOST:PORT"; returns the exchange explained."""
        self.ensureNetworking()
        from DICOMTeachLib.net.console import send_files_text

        files = list(slicer.dicomDatabase.filesForSeries(seriesInstanceUID))
        if not files:
            raise ValueError(f"no file of series {seriesInstanceUID} in the DICOM database")
        return send_files_text(address, files, calledAE, callingAE)

    def queryPacs(self, address, level="study", keys=None, calledAE="ANY-SCP", callingAE="DICOMTEACH"):
        """C-FIND at a level with {keyword: value} keys ("*" wildcard, "A-B" range, None: return key)."""
        self.ensureNetworking()
        from DICOMTeachLib.net.console import query_text

        return query_text(address, level, keys, calledAE, callingAE)

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
        self.test_PanelShowsTheBreakdown()
        self.test_VisualBrowserSelectionIsFollowed()

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

    def test_PanelShowsTheBreakdown(self):
        import qt

        from DICOMTeachLib.panel.qt_panel import TeachingPanel
        from DICOMTeachLib.testdata import pydicom_test_file

        self.delayDisplay("The teaching panel on pydicom's CT_small.dcm, in Slicer's Qt")
        panel = TeachingPanel(qt)
        panel.showFile(str(pydicom_test_file("CT_small.dcm")))
        entities = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
        self.assertIn("Patient IE", entities)
        self.assertTrue(panel.maskCheckBox.isChecked())
        self.assertEqual(panel.tabs.tabText(panel.pacsTabIndex), "PACS")
        self.assertEqual(panel.pacs.selectionLabel.text(), "1 file(s) of 'CT_small.dcm'")  # what Send would send
        self.delayDisplay("Test passed")

    def test_VisualBrowserSelectionIsFollowed(self):
        """CTK's visual DICOM browser as Slicer makes it (DICOMLib/DICOMBrowser.py): its series selection signal
        is found (the API the panel expects is the one this Slicer ships)."""
        import ctk
        import qt

        from DICOMTeachLib.panel.browser_follow import VisualBrowserFollower

        self.delayDisplay("Following the series selection of CTK's visual DICOM browser")
        browser = ctk.ctkDICOMVisualBrowserWidget()
        follower = VisualBrowserFollower(browser, lambda uid: None, qt)
        try:
            self.assertEqual(follower.how, "signal", follower.reason)
        finally:
            follower.stop()
        self.delayDisplay("Test passed")
