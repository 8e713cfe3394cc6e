"""DICOMTeachPlugin: DICOMTeach's loader in Slicer's DICOM browser.

A thin adapter: examineFiles asks DICOMTeachLib which loadables the files
offer (scalar volumes, volume sequences, segmentations, structured reports),
load asks it to build the MRML nodes in slicer.mrmlScene. Nothing raised by the
library reaches the DICOM browser: a failure becomes a warning on the loadable
or a logged load error naming the files.

Slicer creates plugin objects without error handling (at startup and before
every examine), so the constructor imports nothing of the library: a library
that cannot be imported (a missing dependency, a broken install) is reported
once, when files are examined, and the other plugins keep working.
"""

import logging

import slicer
from DICOMLib import DICOMLoadable, DICOMPlugin

PLUGIN_KEY = "DICOMTeachPlugin"
#: The same key as DICOMTeachLib.coexistence.PREFER_SETTING_KEY (repeated here: the library may not import).
PREFER_SETTING_KEY = "DICOM/DICOMTeach/PreferDICOMTeachLoaders"


class _DatabaseInstances:
    """``uid in instances`` asks Slicer's DICOM database whether it holds that instance."""

    def __contains__(self, uid):
        database = getattr(slicer, "dicomDatabase", None)
        return bool(database and uid and database.fileForInstance(uid))


def preferDICOMTeachLoaders():
    """The user's choice in the DICOM settings: DICOMTeach's loadables above Slicer's own plugins (default: below)."""
    try:
        return slicer.util.settingsValue(PREFER_SETTING_KEY, False, converter=slicer.util.toBool)
    except Exception:  # no settings store (e.g. a bare test environment): the documented default
        return False


class DICOMTeachPluginClass(DICOMPlugin):
    """Examine and load scalar volumes, DICOM SEG and SR with DICOMTeachLib."""

    #: why the library could not be imported (reported once per session), None while it is fine
    libraryProblem = None
    _libraryProblemShown = False

    def __init__(self):
        # Nothing here may raise: Slicer builds every plugin in a loop without error handling.
        # No tags are added to the database's pre-cache: examine reads the headers itself (a
        # header read costs less than the ~25 database look-ups per file it would replace, and
        # SEG/SR need sequences a database cache must not hold).
        super().__init__()
        self.loadType = "DICOMTeach"

    @staticmethod
    def settingsPanelEntry(panel, parent):
        """The DICOM settings entry (Application Settings > DICOM > DICOMTeachPlugin)."""
        import ctk
        import qt

        formLayout = qt.QFormLayout(parent)
        preferCheckBox = qt.QCheckBox()
        preferCheckBox.toolTip = (
            "Checked: DICOMTeach's loadables get a confidence one step above Slicer's own plugins (scalar volume, "
            "SEG, TID 1500 SR, MultiVolumeImporter), so DICOMTeach loads a series by default. Unchecked (default): "
            "one step below, so Slicer's plugins load it and DICOMTeach's loadables are offered in the advanced view.")
        formLayout.addRow("Prefer DICOMTeach's loaders:", preferCheckBox)
        mapper = ctk.ctkBooleanMapper(preferCheckBox, "checked", str(qt.SIGNAL("toggled(bool)")))
        panel.registerProperty(PREFER_SETTING_KEY, mapper, "valueAsInt", str(qt.SIGNAL("valueAsIntChanged(int)")),
                               "DICOM examination settings", ctk.ctkSettingsPanel.OptionRequireRestart)

    @classmethod
    def _library(cls):
        """DICOMTeachLib's examine module, or None (the reason logged, and shown once) when it cannot be imported."""
        try:
            from DICOMTeachLib import examine
        except Exception as error:  # a missing dependency or a broken install: say it once, clearly
            cls.libraryProblem = f"{type(error).__name__}: {error}"
            logging.error(f"DICOMTeach cannot examine DICOM files: its library does not import ({cls.libraryProblem})")
            if not cls._libraryProblemShown:
                cls._libraryProblemShown = True
                try:
                    slicer.util.errorDisplay(
                        "DICOMTeach cannot examine DICOM files: its library does not import.\n"
                        f"{cls.libraryProblem}\nThe other DICOM plugins are not affected.", windowTitle="DICOMTeach")
                except Exception:  # no GUI: the log line above is the report
                    pass
            return None
        cls.libraryProblem = None
        return examine

    def examineFiles(self, files):
        """Return a list of DICOMLoadable for the given files (never raises)."""
        examine = self._library()
        if examine is None:
            return []
        try:
            context = examine.ExamineContext(available_instances=_DatabaseInstances(),
                                             prefer_dicomteach=preferDICOMTeachLoaders())
            result = examine.examine_files(files, context=context)
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
        """Build the nodes of a loadable in the scene; False (with a logged reason) on failure.

        The name is the browser's: the user may have edited it in the loadable table.
        """
        import dataclasses

        from DICOMTeachLib.errors import DICOMTeachError
        from DICOMTeachLib.loading import load_loadable

        def progress(fraction, message):
            slicer.util.showStatusMessage(f"DICOMTeach: {message} ({fraction:.0%})")
            slicer.app.processEvents()

        try:
            libraryLoadable = self._withDecoders(loadable)
            if libraryLoadable is None:
                return False
            libraryLoadable = dataclasses.replace(libraryLoadable, name=loadable.name)
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
        from DICOMTeachLib.decoders import (
            missing_decoder_packages,
            refresh_decoder_plugins,
            transfer_syntaxes_of,
        )
        from DICOMTeachLib.examine import ExamineContext, examine_files

        packages = missing_decoder_packages(transfer_syntaxes_of(loadable.files))
        if not packages:
            return loadable.dicomTeachLoadable
        question = (f"'{loadable.name}' is compressed, and decoding it needs the Python package(s) "
                    f"{', '.join(packages)}. Install them now?")
        if not slicer.util.confirmOkCancelDisplay(question, windowTitle="DICOMTeach"):
            logging.warning(f"DICOMTeach did not load '{loadable.name}': decoders not installed ({', '.join(packages)})")
            return None
        slicer.util.pip_install(packages)
        refresh_decoder_plugins()  # pydicom sees the new packages without a restart
        original = loadable.dicomTeachLoadable
        context = ExamineContext(available_instances=_DatabaseInstances(), prefer_dicomteach=preferDICOMTeachLoaders())
        reexamined = [item for item in examine_files(loadable.files, context=context).loadables
                      if item.name == original.name and item.kind == original.kind]
        return reexamined[0] if reexamined else original


#
# DICOMTeachPlugin: the hidden module that registers the plugin class
#


class DICOMTeachPlugin:
    """Registers DICOMTeachPluginClass with the DICOM module; not shown in the module list."""

    def __init__(self, parent):
        parent.title = "DICOMTeach Plugin"
        parent.categories = ["Developer Tools.DICOM Plugins"]
        parent.contributors = ["DICOMTeach maintainers (DICOMTeach project)"]
        parent.helpText = (
            "Loads scalar volumes (single-frame and enhanced multi-frame), 4D series as volume sequences, "
            "DICOM Segmentations and Structured Reports with DICOMTeach, and follows DICOMDIRs. Appears in the "
            "DICOM module's plugin list; its setting (prefer DICOMTeach's loaders) is in Application Settings > DICOM. "
            'Documentation: <a href="https://github.com/dicomteach/SlicerDICOMTeach#readme">the DICOMTeach README</a>.'
        )
        parent.acknowledgementText = "Built on pydicom and highdicom."
        parent.hidden = True
        # The DICOM module may be discovered after this one: create the registry if needed.
        # Our own key: a shared key would silently replace another plugin.
        if not hasattr(slicer.modules, "dicomPlugins"):
            slicer.modules.dicomPlugins = {}
        slicer.modules.dicomPlugins[PLUGIN_KEY] = DICOMTeachPluginClass
