"""What the teaching panel shows, decided without Qt: the panel's whole state and its view models.

The widget (``qt_panel.py``) asks this model for a node's instances, the instance
under the crosshair (and, in a multi-frame file, the frame there), the content for
one file (tree, UIDs, PHI, anatomy, SEG frames, SR content), the bytes of a
selected element; it displays what it gets. Explanations are cached per file
(and per mask), so moving through a series explains each slice once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..errors import DICOMTeachError
from ..explain.model import Explanation
from .element_bytes import ElementBytes, read_element_bytes
from .follow import (
    FramePlane,
    NodeInstances,
    Resolver,
    frame_at,
    frame_planes,
    instance_for_slice,
    node_instances,
)
from .tree import BreakdownTree, build_tree, frame_item_key, per_frame_sequence_key, with_frame_item
from .views import PHIRow, SegFrameRow, SRRow, UIDRow, phi_rows, seg_frame_rows, sr_rows, uid_rows

#: Files whose explanation (and tree) stay in memory: a 133-slice CT series fits, at ~0.25 MB a slice.
CACHE_SIZE = 200
SEGMENTATION_STORAGE = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."


@dataclass
class PanelContent:
    """Everything the panel shows for one instance (or the message saying why it cannot)."""

    path: str = ""
    message: str = ""  # shown instead of (or above) the content
    summary: list[tuple[str, str]] = field(default_factory=list)  # (label, text) lines above the tree
    explanation: Explanation | None = None  # as shown (masked when the mask is on)
    tree: BreakdownTree | None = None
    uids: list[UIDRow] = field(default_factory=list)
    phi: list[PHIRow] = field(default_factory=list)
    anatomy: list[tuple[str, str, str]] = field(default_factory=list)  # (offset, part, what it is)
    seg_frames: list[SegFrameRow] = field(default_factory=list)
    sr_root: SRRow | None = None
    frame: int | None = None  # the frame under the slice, in a multi-frame file followed slice by slice
    frame_count: int = 0  # how many frames that file has (0 when no frame is followed)
    frame_key: str = ""  # the tree row of that frame's per-frame functional groups item ("" when none)

    @property
    def ok(self) -> bool:
        return self.explanation is not None


class TeachingPanelModel:
    """The panel's state: which node and instance, the PHI mask, cached explanations."""

    def __init__(self, resolve: Resolver | None = None) -> None:
        self.resolve: Resolver = resolve or (lambda uid: None)
        self.mask_phi = True  # on by default: the panel is often projected in a classroom
        self.instances: NodeInstances | None = None
        self.node: Any = None  # the data node followed (None for files and series)
        self.instance_index = 0
        self.frame: int | None = None  # the frame under the slice (1-based), multi-frame files only
        self._frame_planes: OrderedDict[str, list[FramePlane]] = OrderedDict()
        self._explained: OrderedDict[tuple[str, bool], Explanation] = OrderedDict()
        self._trees: OrderedDict[tuple[str, bool, int | None], BreakdownTree] = OrderedDict()
        self._kind_views: OrderedDict[str, tuple[list[SegFrameRow], SRRow | None]] = OrderedDict()
        self.explain_count = 0  # explains actually computed (the cache's misses), for tests and the benchmark

    # -- explanations, cached --------------------------------------------------------------------

    def explanation(self, path: str, masked: bool | None = None) -> Explanation:
        """The explanation of ``path`` (masked or not); DICOMTeachError when it cannot be read."""
        masked = self.mask_phi if masked is None else masked
        key = (path, masked)
        cached = self._explained.get(key)
        if cached is not None:
            self._explained.move_to_end(key)
            return cached
        from ..explain import explain

        if masked:
            from ..explain.masking import apply_phi_mask

            unmasked = self._explained.get((path, False))
            if unmasked is None:  # not kept: with the mask on, only the masked copy is shown
                unmasked = explain(path)
                self.explain_count += 1
            result = apply_phi_mask(unmasked)
        else:
            result = explain(path)
            self.explain_count += 1
        self._remember(self._explained, key, result)
        return result

    def tree(self, path: str, frame: int | None = None) -> BreakdownTree:
        """The breakdown rows of ``path``; with ``frame``, its per-frame functional groups item listed too."""
        key = (path, self.mask_phi, frame)
        cached = self._trees.get(key)
        if cached is None:
            if frame is None or frame == 1:  # frame 1's item is in every breakdown
                cached = self.tree(path) if frame == 1 else build_tree(self.explanation(path))
            else:
                cached = self._tree_with_frame(path, frame)
            self._remember(self._trees, key, cached)
        return cached

    def _tree_with_frame(self, path: str, frame: int) -> BreakdownTree:
        from ..explain.breakdown import per_frame_item

        base = self.tree(path)
        sequence_key = per_frame_sequence_key(base)
        if sequence_key is None:
            return base
        module_id = sequence_key.split("/", 1)[0].removeprefix("module:")
        reports = per_frame_item(path, frame, module_id)
        if self.mask_phi:
            from ..phi.mask import mask_explanation

            reports = mask_explanation(reports)  # the masker walks any report dataclasses, lists too
        return with_frame_item(base, frame, reports)

    @staticmethod
    def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
        cache[key] = value
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    # -- what the student selected ---------------------------------------------------------------

    def select_node(self, node: Any) -> NodeInstances | None:
        """Follow a node: its instances (or the message why there are none); the first one is current."""
        self.node = node
        self.instances = node_instances(node, self.resolve) if node is not None else None
        available = self.instances.available if self.instances else []
        self.instance_index = available[0] if available else 0
        self.frame = None
        return self.instances

    def select_files(self, name: str, files: list[str], message: str = "") -> NodeInstances:
        """Follow a list of files (a series selected in the DICOM browser); ``message`` says what is missing."""
        self.node = None
        self.instances = NodeInstances(name, uids=[""] * len(files), files=[str(f) for f in files], message=message)
        self.instance_index = 0
        self.frame = None
        return self.instances

    def select_instance(self, index: int) -> None:
        if self.instances is not None and 0 <= index < len(self.instances.files):
            self.instance_index = index
            self.frame = None

    def follow_point(self, volume_node: Any, ras: tuple[float, float, float]) -> bool:
        """Make the instance (and, in a multi-frame file, the frame) shown at ``ras`` current; True when that
        changed what is shown."""
        if self.instances is None or self.node is None or volume_node is None:
            return False
        if volume_node.GetID() != self.node.GetID() or not volume_node.IsA("vtkMRMLVolumeNode"):
            return False  # the view shows another volume than the one followed
        index = instance_for_slice(self.instances, volume_node, ras)
        if index is None:
            return False
        frame = self.frame_under(self.instances.files[index], ras) if len(self.instances.files) == 1 else None
        if index == self.instance_index and frame == self.frame:
            return False
        self.instance_index, self.frame = index, frame
        return True

    def frame_under(self, path: str, ras: tuple[float, float, float]) -> int | None:
        """The frame of a multi-frame file whose plane passes through ``ras`` (None for single-frame files)."""
        if not path:
            return None
        planes = self._frame_planes.get(path)
        if planes is None:
            planes = frame_planes(path)
            self._remember(self._frame_planes, path, planes)
        return frame_at(planes, ras)

    @property
    def current_file(self) -> str:
        if self.instances is None or not self.instances.files:
            return ""
        return self.instances.files[self.instance_index]

    def current_content(self) -> PanelContent:
        """The content for the current instance of the selected node."""
        if self.instances is None:
            return PanelContent(message="Select a node loaded from DICOM, or open a file.")
        path = self.current_file
        if not path:
            uid = self.instances.uids[self.instance_index] if self.instances.uids else ""
            message = self.instances.message or f"The file of instance {uid} is not available."
            return PanelContent(message=message)
        content = self.content(path, self.frame)
        if self.instances.message and content.ok:
            content.message = self.instances.message
        return content

    # -- content of one file ---------------------------------------------------------------------

    def content(self, path: str, frame: int | None = None) -> PanelContent:
        """Everything shown for one file (and the item of ``frame`` in a multi-frame file); a file that cannot
        be explained gives a message, never an exception."""
        frame_message = ""
        try:
            explanation = self.explanation(path)
            try:
                tree = self.tree(path, frame)
            except DICOMTeachError as error:  # the frame's item cannot be read: the breakdown still shows
                tree, frame_message = self.tree(path), str(error)
        except DICOMTeachError as error:
            return PanelContent(path=path, message=str(error))
        content = PanelContent(path=path, explanation=explanation, tree=tree, uids=uid_rows(explanation),
                               phi=phi_rows(explanation), summary=_summary(explanation),
                               anatomy=anatomy_rows(explanation), message=frame_message)
        if frame is not None:
            sequence_key = per_frame_sequence_key(tree)
            key = frame_item_key(sequence_key, frame) if sequence_key else ""
            content.frame, content.frame_count = frame, len(self._frame_planes.get(path) or [])
            content.frame_key = key if key and tree.row(key) is not None else ""
            content.summary.append(("Frame", f"{frame} of {content.frame_count} under the slice: Per-Frame "
                                             f"Functional Groups Sequence > item {frame}"))
        sop_class = explanation.sop_class_uid or ""
        views = self._kind_views.get(path)
        if views is None:
            frames, root = [], None
            try:
                if sop_class in SEGMENTATION_STORAGE:
                    frames = seg_frame_rows(path, self.resolve)
                elif sop_class.startswith(SR_PREFIX):
                    root = sr_rows(path)
            except DICOMTeachError as error:
                content.message = str(error)
            except Exception as error:  # noqa: BLE001 - a damaged SEG/SR: the breakdown is still shown
                what = "segmentation frames" if sop_class in SEGMENTATION_STORAGE else "content tree"
                content.message = f"{path}: cannot list its {what}: {type(error).__name__}: {error}"
            views = (frames, root)
            self._remember(self._kind_views, path, views)
        content.seg_frames, content.sr_root = views
        return content

    def element_bytes(self, path: str, key: str, frame: int | None = None) -> ElementBytes | None:
        """The bytes of the element behind tree row ``key`` (None for rows without a place in the file)."""
        tree = self.tree(path, frame)
        row = tree.row(key)
        if row is None or row.offset is None or row.kind != "attribute":
            return None
        explanation = self.explanation(path)
        anatomy = explanation.anatomy
        explicit, little = True, True
        if anatomy is not None and anatomy.transfer_syntax is not None:
            explicit, little = anatomy.transfer_syntax.explicit_vr, anatomy.transfer_syntax.little_endian
        if row.tag_value is not None and (row.tag_value >> 16) == 0x0002:
            explicit, little = True, True  # the file meta group is always explicit VR little endian
        masked = self.mask_phi and bool(row.tooltip and "PS3.15 action:" in row.tooltip
                                        and "PS3.15 action: K" not in row.tooltip)
        return read_element_bytes(path, row.offset, row.vr, explicit, little, mask_value=masked)


def _summary(explanation: Explanation) -> list[tuple[str, str]]:
    lines = [("File", explanation.path),
             ("SOP Class", f"{explanation.sop_class_name or 'unknown'} ({explanation.sop_class_uid or '-'})"),
             ("IOD", f"{explanation.iod[1]} ({explanation.iod[0]})" if explanation.iod else
              "unknown: only the file's elements are listed"),
             ("Transfer syntax", explanation.transfer_syntax[1] if explanation.transfer_syntax else "unknown")]
    if explanation.modules:
        lines.append(("Entities", " > ".join(explanation.information_entities)))
    errors = sum(1 for p in explanation.problems if p.severity == "error")
    lines.append(("Problems", f"{errors} error(s), {len(explanation.problems) - errors} other note(s)"))
    return lines


def anatomy_rows(explanation: Explanation) -> list[tuple[str, str, str]]:
    """(offset, part, what it is) rows: preamble, DICM, file meta elements, transfer syntax, data set, pixel data."""
    anatomy = explanation.anatomy
    if anatomy is None:
        return []
    rows = []
    if anatomy.has_preamble:
        rows.append(("0", "preamble (128 bytes)", "all zero" if anatomy.preamble_all_zero
                     else f"not all zero: {anatomy.preamble_head}"))
        rows.append(("128", "DICM", "the 4 letters that mark a DICOM file"))
    else:
        rows.append(("0", "no preamble", "the data set starts at once (no DICM)"))
    for element in anatomy.meta_elements:
        rows.append((str(element.offset), f"{element.tag} {element.keyword}", element.meaning or element.value))
    ts = anatomy.transfer_syntax
    if ts is not None:
        rows.append(("", f"transfer syntax: {ts.name}", "; ".join(ts.explanation)))
    rows.append((str(anatomy.dataset_offset if anatomy.dataset_offset is not None else "?"), "data set",
                 f"{len(anatomy.elements)} top-level elements"))
    pixel = anatomy.pixel
    if pixel is not None:
        layout = (f"encapsulated: {pixel.fragments} fragment(s) after an offset table of "
                  f"{pixel.offset_table_entries or 0} entries" if pixel.encapsulated
                  else f"native: {pixel.length} bytes")
        rows.append((str(pixel.offset), f"pixel data ({pixel.keyword})",
                     f"{pixel.rows} x {pixel.columns} x {pixel.frames} frame(s), {pixel.bits_allocated} bits "
                     f"allocated, {layout}"))
    rows += [("", "note", note) for note in anatomy.notes]
    return rows
