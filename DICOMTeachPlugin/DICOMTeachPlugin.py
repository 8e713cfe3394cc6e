"""DICOMTeachPlugin: DICOMTeach's loader in Slicer's DICOM browser.

A thin adapter: examineFiles asks DICOMTeachLib which loadables the files
offer (scalar volumes, segmentations, structured reports), load asks it to
build the MRML nodes in slicer.mrmlScene. Nothing raised by the library
reaches the DICOM browser: a failure becomes a warning on the loadable or a
logged load error naming the files.
"""

import logging

import slicer
from DICOMLib import DICOMLoadable, DICOMPlugin

PLUGIN_KEY = "DICOMTeachPlugin"


class _DatabaseInstances:
    """``uid in instances`` asks Slicer's DICOM database whether it holds that instance."""

    def __contains__(self, uid):
        database = getattr(slicer, "dicomDatabase", None)
        return bool(database and uid and database.fileForInstance(uid))


class DICOMTeachPluginClass(DICOMPlugin):
    """Examine and load scalar volumes, DICOM SEG and SR with DICOMTeachLib."""

    def __init__(self):
        super().__init__()
        self.loadType = "DICOMTeach"
        from DICOMTeachLib.dicom_tags import PRECACHED_TAGS

        # Slicer's DICOM database pre-caches these, so examine does not parse files again.
        self.tags.update(PRECACHED_TAGS)

    def examineFiles(self, files):
        """Return a list of DICOMLoadable for the given files (never raises)."""
        try:
            from DICOMTeachLib.examine import ExamineContext, examine_files

            result = examine_files(files, context=ExamineContext(available_instances=_DatabaseInstances()))
        except Exception as error:  # the browser must never see a traceback
            logging.error(f"DICOMTeach could not examine {len(files)} file(s): {error}")
            return []
        for path, reason in result.unreadable.items():
            logging.debug(f"DICOMTeach skipped {path}: {reason}")
        return [self._toSlicerLoadable(loadable) for loadable in result.loadables]

    def _toSlicerLoadable(self, loadable):
        slicerLoadable = DICOMLoadable()
        slicerLoadable.files = list(loadable.files)
        slicerLoadable.name = loadable.name
        slicerLoadable.tooltip = loadable.tooltip
        slicerLoadable.warning = loadable.warning
        slicerLoadable.selected = loadable.selected
        slicerLoadable.confidence = loadable.confidence
        slicerLoadable.referencedInstanceUIDs = list(loadable.referenced_instance_uids)
        slicerLoadable.dicomTeachLoadable = loadable  # keeps the examined plan for load()
        return slicerLoadable

    def load(self, loadable):
        """Build the nodes of a loadable in the scene; False (with a logged reason) on failure."""
        from DICOMTeachLib.errors import DICOMTeachError
        from DICOMTeachLib.loading import load_loadable

        def progress(fraction, message):
            slicer.util.showStatusMessage(f"DICOMTeach: {message} ({fraction:.0%})")
            slicer.app.processEvents()

        try:
            libraryLoadable = self._withDecoders(loadable)
            if libraryLoadable is None:
                return False
            result = load_loadable(libraryLoadable, slicer.mrmlScene, progress)
        except DICOMTeachError as error:
            logging.error(f"DICOMTeach could not load '{loadable.name}': {error}")
            return False
        except Exception as error:
            logging.error(f"DICOMTeach could not load '{loadable.name}' ({type(error).__name__}): {error}")
            return False
        for message in result.skipped + result.messages:
            logging.warning(f"DICOMTeach, '{loadable.name}': {message}")
        return result.nodes[0] if result.nodes else False


    def _withDecoders(self, loadable):
        """The loadable to load, after installing missing pixel decoders on first use (None if declined).

        Slicer may not bundle every decoder pydicom can use; they are installed the Slicer way
        (slicer.util.pip_install) only when a load needs them and the user agrees, then the files
        are examined again so that the plan knows the pixels can now be read.
        """
        from DICOMTeachLib.decoders import missing_decoder_packages, transfer_syntaxes_of
        from DICOMTeachLib.examine import examine_files

        packages = missing_decoder_packages(transfer_syntaxes_of(loadable.files))
        if not packages:
            return loadable.dicomTeachLoadable
        question = (f"'{loadable.name}' is compressed, and decoding it needs the Python package(s) "
                    f"{', '.join(packages)}. Install them now?")
        if not slicer.util.confirmOkCancelDisplay(question, windowTitle="DICOMTeach"):
            logging.warning(f"DICOMTeach did not load '{loadable.name}': decoders not installed ({', '.join(packages)})")
            return None
        slicer.util.pip_install(packages)
        reexamined = [item for item in examine_files(loadable.files).loadables if item.name == loadable.name]
        return reexamined[0] if reexamined else loadable.dicomTeachLoadable


#
# DICOMTeachPlugin: the hidden module that registers the plugin class
#


class DICOMTeachPlugin:
    """Registers DICOMTeachPluginClass with the DICOM module; not shown in the module list."""

    def __init__(self, parent):
        parent.title = "DICOMTeach Plugin"
        parent.categories = ["Developer Tools.DICOM Plugins"]
        parent.contributors = ["DICOMTeach developers"]
        parent.helpText = (
            "Loads scalar volumes (single-frame and enhanced multi-frame), DICOM Segmentations and "
            "Structured Reports with DICOMTeach. Appears in the DICOM module's plugin list."
        )
        parent.acknowledgementText = "Built on pydicom and highdicom."
        parent.hidden = True
        # The DICOM module may be discovered after this one: create the registry if needed.
        # Our own key: a shared key would silently replace another plugin.
        if not hasattr(slicer.modules, "dicomPlugins"):
            slicer.modules.dicomPlugins = {}
        slicer.modules.dicomPlugins[PLUGIN_KEY] = DICOMTeachPluginClass
