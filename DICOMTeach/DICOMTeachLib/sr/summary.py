"""Plain descriptions of the nodes an SR load makes (scene_summary describers, ``dicomteach load --json``)."""

from __future__ import annotations

from typing import Any


def table_rows(node: Any) -> tuple[list[str], list[list[Any]]]:
    """(column names, rows) of a vtkMRMLTableNode; numbers stay numbers (NaN -> None)."""
    import math

    table = node.GetTable()
    columns = [table.GetColumnName(index) for index in range(table.GetNumberOfColumns())]
    rows = []
    for row in range(table.GetNumberOfRows()):
        values = []
        for index in range(table.GetNumberOfColumns()):
            array = table.GetColumn(index)
            if array.IsA("vtkStringArray"):
                values.append(array.GetValue(row))
            else:
                value = float(array.GetTuple1(row))
                values.append(None if math.isnan(value) else value)
        rows.append(values)
    return columns, rows


def describe_table(node: Any) -> dict[str, Any]:
    columns, rows = table_rows(node)
    return {"columns": columns, "rows": [dict(zip(columns, row, strict=True)) for row in rows]}


def describe_text(node: Any) -> dict[str, Any]:
    text = node.GetText() or ""
    return {"lines": text.count("\n") + 1 if text else 0, "text": text}


def describe_markups(node: Any) -> dict[str, Any]:
    points = [list(node.GetNthControlPointPosition(index)) for index in range(node.GetNumberOfControlPoints())]
    return {"points_ras": [[round(v, 6) for v in point] for point in points]}
