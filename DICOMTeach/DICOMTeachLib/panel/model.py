"""What the teaching panel shows, decided without Qt: the panel's whole state and its view models.

The widget (``qt_panel.py``) asks this model for a node's instances, the instance
under the crosshair, the content for one file (tree, UIDs, PHI, anatomy, SEG
frames, SR content), the bytes of a selected element; it displays what it gets.
Explanations are cached per file (and per mask), so moving through a series
explains each slice once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..errors import DICOMTeachError
from ..explain.model import Explanation
from .element_bytes import ElementBytes, read_element_bytes
from .follow import NodeInstances, Resolver, instance_for_slice, node_instances
from .tree import BreakdownTree, build_tree
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
        self._explained: OrderedDict[tuple[str, bool], Explanation] = OrderedDict()
        self._trees: OrderedDict[tuple[str, bool], BreakdownTree] = OrderedDict()
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

    def tree(self, path: str) -> BreakdownTree:
        key = (path, self.mask_phi)
        cached = self._trees.get(key)
        if cached is None:
            cached = build_tree(self.explanation(path))
            self._remember(self._trees, key, cached)
        return cached

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
        return self.instances

    def select_files(self, name: str, files: list[str]) -> NodeInstances:
        """Follow a list of files (a series selected in the DICOM browser)."""
        self.node = None
        self.instances = NodeInstances(name, uids=[""] * len(files), files=[str(f) for f in files])
        self.instance_index = 0
        return self.instances

    def select_instance(self, index: int) -> None:
        if self.instances is not None and 0 <= index < len(self.instances.files):
            self.instance_index = index

    def follow_point(self, volume_node: Any, ras: tuple[float, float, float]) -> bool:
        """Make the instance shown at ``ras`` current; True when that changed the instance."""
        if self.instances is None or self.node is None or volume_node is None:
            return False
        if volume_node.GetID() != self.node.GetID():
            return False  # the view shows another volume than the one followed
        index = instance_for_slice(self.instances, volume_node, ras)
        if index is None or index == self.instance_index:
            return False
        self.instance_index = index
        return True

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
        content = self.content(path)
        if self.instances.message and content.ok:
            content.message = self.instances.message
        return content

    # -- content of one file ---------------------------------------------------------------------

    def content(self, path: str) -> PanelContent:
        """Everything shown for one file; a file that cannot be explained gives a message, never an exception."""
        try:
            explanation = self.explanation(path)
            tree = self.tree(path)
        except DICOMTeachError as error:
            return PanelContent(path=path, message=str(error))
        content = PanelContent(path=path, explanation=explanation, tree=tree, uids=uid_rows(explanation),
                               phi=phi_rows(explanation), summary=_summary(explanation),
                               anatomy=anatomy_rows(explanation))
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

    def element_bytes(self, path: str, key: str) -> ElementBytes | None:
        """The bytes of the element behind tree row ``key`` (None for rows without a place in the file)."""
        tree = self.tree(path)
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
