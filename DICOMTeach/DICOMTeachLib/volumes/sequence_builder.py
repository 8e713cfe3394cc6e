"""Build a 4D series as Slicer's MultiVolumeImporter loads it: a volume sequence with a browser.

Each time point is built as a scalar volume (the same builder as a 3D series)
and moved into a ``vtkMRMLSequenceNode`` by shallow copy, so the voxels are not
copied again. A ``vtkMRMLSequenceBrowserNode`` then shows one time point at a
time through its proxy volume, which goes into the subject hierarchy under the
series' patient and study. The sequence's index names the frame attribute that
orders the time points and its unit (TriggerTime in ms, ...).
"""

from __future__ import annotations

from typing import Any

from ..errors import LoadError
from ..headless import sequences_logic
from ..hierarchy import add_series_to_hierarchy, set_instance_uids
from ..loadable import Loadable, LoadResult
from .builder import build_volume_node, set_quantity_and_units
from .pixels import Progress
from .plan import SequencePlan


def build_volume_sequence(loadable: Loadable, scene: Any, progress: Progress | None = None) -> LoadResult:
    """Load a volume sequence loadable into ``scene``: sequence, browser and proxy volume."""
    plan: SequencePlan = loadable.plan
    if not isinstance(plan, SequencePlan):
        raise LoadError("this loadable was not made by the volume sequence examiner", loadable.name)
    if plan.refuse:
        raise LoadError(f"not loaded: {plan.refuse}", loadable.name)
    logic = sequences_logic(scene)  # registers the browser node class headless
    sequence = scene.AddNewNodeByClass("vtkMRMLSequenceNode", scene.GenerateUniqueName(loadable.name))
    sequence.SetIndexName(plan.index_name)
    sequence.SetIndexUnit(plan.index_unit)
    sequence.SetIndexType(sequence.NumericIndex)
    messages: list[str] = []
    total = len(plan.time_points)
    for number, (point, value) in enumerate(zip(plan.time_points, plan.index_values, strict=True)):
        def point_progress(fraction: float, message: str, number: int = number) -> None:
            if progress is not None:
                progress((number + fraction) / total, f"time point {number + 1} of {total}: {message}")

        node, point_messages = build_volume_node(point, f"{loadable.name} {value}", scene, point_progress)
        messages += [m for m in point_messages if m not in messages]
        # An empty item, then a shallow copy of the time point into it: the voxels are not copied twice.
        placeholder = scene.AddNewNodeByClass(node.GetClassName())
        sequence.SetDataNodeAtValue(placeholder, value)
        scene.RemoveNode(placeholder)
        sequence.UpdateDataNodeAtValue(node, value, True)
        set_quantity_and_units(sequence.GetDataNodeAtValue(value), point.sop_class_uid)  # not part of a shallow copy
        if number == 0:
            first = node  # becomes the browser's proxy, with its display node (window/level already set)
            continue
        display = node.GetDisplayNode()
        scene.RemoveNode(node)
        if display is not None and display.GetScene() is not None:
            scene.RemoveNode(display)

    browser = scene.AddNewNodeByClass("vtkMRMLSequenceBrowserNode", scene.GenerateUniqueName(f"{loadable.name} browser"))
    # Configured in one modification, the first time point's node as the proxy: the Sequences logic then
    # shares the voxels (shallow copy, "save changes" on) and keeps our display node; a proxy it made
    # itself would get a display node with automatic window/level (a histogram of every voxel).
    modifying = browser.StartModify()
    browser.SetAndObserveMasterSequenceNodeID(sequence.GetID())
    browser.AddProxyNode(first, sequence, False)
    browser.SetSaveChanges(sequence, True)
    browser.SetOverwriteProxyName(sequence, True)
    browser.EndModify(modifying)
    logic.UpdateProxyNodesFromSequences(browser)
    proxy = browser.GetProxyNode(sequence)
    if proxy is None:
        raise LoadError("the sequence browser made no proxy volume", loadable.name)
    set_instance_uids(proxy, plan.identity.instance_uids)
    set_quantity_and_units(proxy, plan.time_points[0].sop_class_uid)
    add_series_to_hierarchy(scene, proxy, plan.identity, loadable.referenced_instance_uids)
    if progress is not None:
        progress(1.0, f"loaded {loadable.name}")
    return LoadResult(nodes=[proxy, sequence, browser], messages=messages)
