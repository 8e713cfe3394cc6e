"""A real MRML scene without the Slicer application.

Inside Slicer the application creates the scene and wires the module logics
together. Headless (``dicomteach`` and the tests) we do that wiring ourselves
with the classes PyPI ``slicer-core`` ships, so the nodes we build are the very
nodes Slicer would hold. The five things the application normally does are
marked (1)..(5) below; see ../shared/DESIGN.md.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DICOMTeachError, MissingDependencyError

_converter_rules_registered = False
#: Sequences logics made headless, one per scene (the app has its own: slicer.modules.sequences.logic())
_sequences_logics: list[Any] = []


def import_slicer() -> Any:
    """Return the ``slicer`` module: Slicer's own inside the app, slicer-core headless."""
    try:
        import slicer
    except ImportError as error:  # pragma: no cover - depends on the install
        raise MissingDependencyError(
            "building MRML nodes needs 3D Slicer or the PyPI package slicer-core "
            "(pip install 'dicomteach[headless]')"
        ) from error
    if not hasattr(slicer, "vtkMRMLScene"):
        raise MissingDependencyError("the installed 'slicer' module has no MRML classes (is slicer-core installed?)")
    return slicer


def register_segmentation_converter_rules() -> None:
    """(1) Register the segmentation representation converters, once per process.

    Without them an empty segment cannot be created and writing a scene that
    holds a segmentation aborts the process in C++ (nothing Python can catch).
    """
    global _converter_rules_registered
    if _converter_rules_registered:
        return
    slicer = import_slicer()
    factory = slicer.vtkSegmentationConverterFactory.GetInstance()
    for rule_class in (
        slicer.vtkBinaryLabelmapToClosedSurfaceConversionRule,
        slicer.vtkClosedSurfaceToBinaryLabelmapConversionRule,
        slicer.vtkClosedSurfaceToFractionalLabelmapConversionRule,
        slicer.vtkFractionalLabelmapToClosedSurfaceConversionRule,
    ):
        factory.RegisterConverterRule(rule_class())
    _converter_rules_registered = True


def sequences_logic(scene: Any) -> Any:
    """Slicer's Sequences logic for ``scene``: it registers the sequence browser node class and makes proxy nodes.

    Inside Slicer that is the Sequences module's logic; headless, one logic per scene is made on first use.
    """
    slicer = import_slicer()
    modules = getattr(slicer, "modules", None)
    if modules is not None and hasattr(modules, "sequences"):
        return modules.sequences.logic()
    for logic in _sequences_logics:
        if logic.GetMRMLScene() is scene:
            return logic
    logic = slicer.vtkSlicerSequencesLogic()
    logic.SetMRMLScene(scene)
    _sequences_logics.append(logic)
    return logic


def forget_sequences_logic(scene: Any) -> None:
    for logic in [logic for logic in _sequences_logics if logic.GetMRMLScene() is scene]:
        logic.SetMRMLScene(None)
        _sequences_logics.remove(logic)


@dataclass
class MRMLEnvironment:
    """A scene with the application and module logics Slicer's app would provide.

    Use :meth:`create` for a fresh one; :attr:`scene` is a real ``vtkMRMLScene``.
    ``logics`` maps Slicer's module names ("Volumes", "SubjectHierarchy", ...)
    to their logic objects, as ``slicer.modules.<name>.logic()`` would inside the app.
    """

    scene: Any
    application_logic: Any
    logics: dict[str, Any] = field(default_factory=dict)
    cache_directory: Path | None = None
    _owns_cache: bool = False

    @classmethod
    def create(cls, cache_directory: str | Path | None = None) -> MRMLEnvironment:
        slicer = import_slicer()
        register_segmentation_converter_rules()
        scene = slicer.vtkMRMLScene()
        app = slicer.vtkSlicerApplicationLogic()
        app.SetMRMLScene(scene)
        owns_cache = cache_directory is None
        cache = Path(cache_directory) if cache_directory else Path(tempfile.mkdtemp(prefix="dicomteach-mrml-"))
        env = cls(scene=scene, application_logic=app, cache_directory=cache, _owns_cache=owns_cache)
        env._setup_io(slicer)
        env._setup_module_logics(slicer)
        return env

    def _setup_io(self, slicer: Any) -> None:
        # (4) Reading a .mrb unpacks it through the remote IO logic's cache manager
        # and loads files through the data IO manager.
        remote = slicer.vtkMRMLRemoteIOLogic()
        remote.SetMRMLScene(self.scene)
        remote.GetCacheManager().SetRemoteCacheDirectory(str(self.cache_directory))
        self.scene.SetCacheManager(remote.GetCacheManager())
        self.scene.SetDataIOManager(remote.GetDataIOManager())
        data_io = slicer.vtkDataIOManagerLogic()
        data_io.SetMRMLApplicationLogic(self.application_logic)
        self.logics["_RemoteIO"] = remote
        self.logics["_DataIO"] = data_io

    def _setup_module_logics(self, slicer: Any) -> None:
        app = self.application_logic
        # (2) Display nodes look colour tables up through the colour logic.
        colors = slicer.vtkMRMLColorLogic()  # the Slicer subclass wants a home directory for colour files
        colors.SetMRMLApplicationLogic(app)
        colors.SetMRMLScene(self.scene)
        # (3) Every module logic knows the application logic, and the application
        # logic knows them by module name, as in the desktop app.
        module_logics = {
            "Colors": colors,
            "SubjectHierarchy": slicer.vtkSlicerSubjectHierarchyModuleLogic(),
            "Volumes": slicer.vtkSlicerVolumesLogic(),
            "Segmentations": slicer.vtkSlicerSegmentationsModuleLogic(),
            "Tables": slicer.vtkSlicerTablesLogic(),
            "Texts": slicer.vtkSlicerTextsLogic(),
            "Markups": slicer.vtkSlicerMarkupsLogic(),
        }
        for name, logic in module_logics.items():
            if name != "Colors":
                logic.SetMRMLApplicationLogic(app)
                logic.SetMRMLScene(self.scene)
            app.SetModuleLogic(name, logic)
            self.logics[name] = logic
        if hasattr(module_logics["Volumes"], "SetColorLogic"):
            module_logics["Volumes"].SetColorLogic(colors)
        sequences = sequences_logic(self.scene)  # volume sequences (4D series) and their browser nodes
        sequences.SetMRMLApplicationLogic(app)
        app.SetModuleLogic("Sequences", sequences)
        self.logics["Sequences"] = sequences

    # (5) is the caller's: no subject hierarchy item appears for a new data node
    # headless (Slicer's Qt plugins do that); hierarchy.py creates them.

    @property
    def subject_hierarchy(self) -> Any:
        return self.scene.GetSubjectHierarchyNode()

    def save_mrb(self, path: str | Path) -> Path:
        """Write the scene and its data as a Medical Reality Bundle (.mrb)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.scene.WriteToMRB(str(path)):
            raise DICOMTeachError("could not write the scene bundle", path)
        return path

    @classmethod
    def load_mrb(cls, path: str | Path) -> MRMLEnvironment:
        """Open a .mrb in a fresh environment."""
        path = Path(path)
        if not path.is_file():
            raise DICOMTeachError("no such scene bundle", path)
        env = cls.create()
        if not env.scene.ReadFromMRB(str(path)):
            raise DICOMTeachError("could not read the scene bundle", path)
        return env

    def close(self) -> None:
        """Clear the scene and remove the cache directory this environment made."""
        self.scene.Clear(True)
        forget_sequences_logic(self.scene)
        if self._owns_cache and self.cache_directory is not None:
            shutil.rmtree(self.cache_directory, ignore_errors=True)

    def __enter__(self) -> MRMLEnvironment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
