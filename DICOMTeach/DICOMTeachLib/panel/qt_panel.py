"""The teaching panel's widgets, written once for Slicer's PythonQt and for PyQt5.

Every class takes the Qt namespace (``qt_shim.qt_namespace()``) and only displays
what ``TeachingPanelModel`` decides. The Qt subset used runs the same in both
bindings: signals with ``.connect``, explicit setters and getters, items made
as ``QTreeWidgetItem(parent, [texts])`` and keyed with ``setData(0, UserRole, key)``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

from .model import PanelContent, TeachingPanelModel
from .pacs_model import PacsTarget, SendSelection, send_selection
from .qt_pacs import PacsPanel
from .qt_shim import monospace_font
from .tree import COLUMNS, LEGEND, TYPE_LEGEND, TreeRow, legend_lines, visible_keys

TYPE_COLUMN = COLUMNS.index("Type")
#: SR value types whose values can identify someone (names, free text, dates, UIDs): hidden under the mask.
SR_TYPES_MASKED = frozenset({"PNAME", "TEXT", "DATE", "TIME", "DATETIME", "UIDREF"})


def _table(qt: Any, headers: list[str], rows: list[list[str]]) -> Any:
    table = qt.QTableWidget()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    fill_table(qt, table, rows)
    table.setEditTriggers(qt.QAbstractItemView.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_table(qt: Any, table: Any, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for row_index, row in enumerate(rows):
        for column, text in enumerate(row):
            table.setItem(row_index, column, qt.QTableWidgetItem(str(text)))
    table.resizeColumnsToContents()


class TeachingPanel:
    """The panel: summary, instance slider, breakdown tree with problems and bytes, anatomy, UIDs, PHI,
    SEG frames, SR content, lessons and the PACS, in tabs (other sections can add tabs of their own).

    ``ensure_networking`` is called once before the PACS tab's first network action (Slicer installs
    pynetdicom there on first use); ``pacs_target`` overrides the PACS fields' defaults.
    """

    def __init__(self, qt: Any, model: TeachingPanelModel | None = None, parent: Any = None,
                 open_page: Callable[[str], None] | None = None,
                 ensure_networking: Callable[[], Any] | None = None, pacs_target: PacsTarget | None = None) -> None:
        self.qt = qt
        self.model = model or TeachingPanelModel()
        self.open_page = open_page or self._open_in_browser
        self.content = PanelContent()
        self.items: dict[str, Any] = {}
        self.last_page_path = ""
        self.widget = qt.QWidget(parent) if parent is not None else qt.QWidget()
        layout = qt.QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)

        self.messageLabel = qt.QLabel()
        self.messageLabel.setWordWrap(True)
        self.messageLabel.setStyleSheet("QLabel{background:#fff1d0;border:1px solid #e0b050;padding:4px}")
        self.messageLabel.setVisible(False)
        layout.addWidget(self.messageLabel)
        self.summaryLabel = qt.QLabel("Select a node loaded from DICOM, or open a file.")
        self.summaryLabel.setWordWrap(True)
        self.summaryLabel.setTextFormat(qt.Qt.RichText)
        self.summaryLabel.setTextInteractionFlags(qt.Qt.TextSelectableByMouse)
        layout.addWidget(self.summaryLabel)

        instanceRow = qt.QHBoxLayout()
        self.instanceLabel = qt.QLabel("Instance")
        self.instanceSlider = qt.QSlider(qt.Qt.Horizontal)
        self.instanceSlider.setMinimum(1)
        self.instanceSlider.setMaximum(1)
        self.instanceCountLabel = qt.QLabel("")
        for part in (self.instanceLabel, self.instanceSlider, self.instanceCountLabel):
            instanceRow.addWidget(part)
        layout.addLayout(instanceRow)
        self._set_instance_row_visible(False)
        self.instanceSlider.valueChanged.connect(self.onInstanceSliderChanged)

        controls = qt.QHBoxLayout()
        self.maskCheckBox = qt.QCheckBox("Hide PHI values (for projection)")
        self.maskCheckBox.setChecked(self.model.mask_phi)
        self.problemsOnlyCheckBox = qt.QCheckBox("Problems only")
        self.searchEdit = qt.QLineEdit()
        self.searchEdit.setPlaceholderText("Search keyword or tag, e.g. PatientName or 0010,0010")
        self.openPageButton = qt.QPushButton("Open as page")
        self.openPageButton.setToolTip("The same breakdown as an interactive page in the web browser")
        self.openPageButton.setEnabled(False)
        for part in (self.maskCheckBox, self.problemsOnlyCheckBox, self.searchEdit, self.openPageButton):
            controls.addWidget(part)
        layout.addLayout(controls)
        self.maskCheckBox.toggled.connect(self.onMaskToggled)
        self.problemsOnlyCheckBox.toggled.connect(self.onFilterChanged)
        self.searchEdit.textChanged.connect(self.onFilterChanged)
        self.openPageButton.clicked.connect(self.onOpenPage)

        self.tabs = qt.QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_breakdown_tab()
        self._build_anatomy_tab()
        self.uidTable = _table(qt, ["Level", "Identifier", "Keyword", "Value"], [])
        self.tabs.addTab(self.uidTable, "UIDs")
        phiPage = qt.QWidget()
        phiLayout = qt.QVBoxLayout(phiPage)
        self.phiNote = qt.QLabel("What the PS3.15 Basic Profile does to each attribute that can identify the "
                                 "patient. Values are hidden while 'Hide PHI values' is ticked.")
        self.phiNote.setWordWrap(True)
        phiLayout.addWidget(self.phiNote)
        self.phiTable = _table(qt, ["Tag", "Attribute", "Action", "What de-identification does", "Value"], [])
        phiLayout.addWidget(self.phiTable)
        self.tabs.addTab(phiPage, "PHI")
        self.segTable = _table(qt, ["Frame", "Segment", "Label", "Source image (SOP Instance UID)",
                                    "Source frame", "Source file"], [])
        self.segTabIndex = self.tabs.addTab(self.segTable, "SEG frames")
        self.srTree = qt.QTreeWidget()
        self.srTree.setHeaderLabels(["Item", "Relationship", "Value type", "Concept", "Value"])
        self.srTabIndex = self.tabs.addTab(self.srTree, "SR content")
        self.lessons = LessonPanel(qt, self)
        self.lessonsTabIndex = self.tabs.addTab(self.lessons.widget, "Lessons")
        self.pacs = PacsPanel(qt, self.sendSelection, ensure_networking, pacs_target)
        self.pacsTabIndex = self.tabs.addTab(self.pacs.widget, "PACS")
        self._show_kind_tabs()

    # -- building --------------------------------------------------------------------------------

    def _build_breakdown_tab(self) -> None:
        qt = self.qt
        page = qt.QWidget()
        layout = qt.QVBoxLayout(page)
        self.problemList = qt.QListWidget()
        self.problemList.setMaximumHeight(72)
        self.problemList.setToolTip("Click a problem to select its attribute in the tree")
        layout.addWidget(self.problemList)
        self.problemList.currentRowChanged.connect(self.onProblemSelected)
        splitter = qt.QSplitter(qt.Qt.Vertical)
        self.tree = qt.QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(False)
        self.tree.setUniformRowHeights(True)
        self.tree.currentItemChanged.connect(self.onTreeItemChanged)
        splitter.addWidget(self.tree)
        self.bytesView = qt.QPlainTextEdit()
        self.bytesView.setReadOnly(True)
        self.bytesView.setFont(monospace_font(qt))
        self.bytesView.setPlaceholderText("Select an attribute to see its bytes in the file")
        splitter.addWidget(self.bytesView)
        splitter.setSizes([330, 170])
        layout.addWidget(splitter, 1)
        self.legendLabel = qt.QLabel(_legend_html())
        self.legendLabel.setTextFormat(qt.Qt.RichText)
        self.legendLabel.setWordWrap(True)
        layout.addWidget(self.legendLabel)
        self.tabs.addTab(page, "Breakdown")

    def _build_anatomy_tab(self) -> None:
        qt = self.qt
        page = qt.QWidget()
        layout = qt.QVBoxLayout(page)
        note = qt.QLabel("How the file is laid out, byte by byte. Select an attribute in the Breakdown tab to "
                         "see its own bytes.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.anatomyTable = _table(qt, ["Offset", "Part", "What it is"], [])
        layout.addWidget(self.anatomyTable)
        self.tabs.addTab(page, "Anatomy")

    def _set_instance_row_visible(self, visible: bool) -> None:
        for part in (self.instanceLabel, self.instanceSlider, self.instanceCountLabel):
            part.setVisible(visible)

    def _show_kind_tabs(self) -> None:
        self.tabs.setTabEnabled(self.segTabIndex, bool(self.content.seg_frames))
        self.tabs.setTabEnabled(self.srTabIndex, self.content.sr_root is not None)

    # -- what to show ----------------------------------------------------------------------------

    def showNode(self, node: Any) -> None:
        """Follow a node selected in the data tree / subject hierarchy / DICOM browser."""
        self.model.select_node(node)
        self._after_selection()

    def _after_selection(self) -> None:
        instances = self.model.instances
        count = len(instances.files) if instances else 0
        self._set_instance_row_visible(count > 1)
        self.instanceSlider.blockSignals(True)
        self.instanceSlider.setMaximum(max(count, 1))
        self.instanceSlider.setValue(self.model.instance_index + 1)
        self.instanceSlider.blockSignals(False)
        self._display(self.model.current_content())

    def showFiles(self, name: str, files: list[str], message: str = "") -> None:
        """Follow the files of a series (selected in the DICOM browser), with the instance slider;
        ``message`` says what is missing (files gone, a series the database does not know)."""
        self.model.select_files(name, files, message)
        self._after_selection()

    def showFile(self, path: str) -> None:
        """Explain one file (opened by the student or chosen by a lesson)."""
        self.model.instances = None
        self._set_instance_row_visible(False)
        self._display(self.model.content(str(path)))

    def followPoint(self, volumeNode: Any, ras: tuple[float, float, float]) -> bool:
        """The crosshair or slice moved: explain the instance shown there (in a multi-frame file, select the
        frame's per-frame functional groups item). True when it changed."""
        if not self.model.follow_point(volumeNode, ras):
            return False
        self.instanceSlider.blockSignals(True)
        self.instanceSlider.setValue(self.model.instance_index + 1)
        self.instanceSlider.blockSignals(False)
        self._display(self.model.current_content())
        return True

    def refresh(self) -> None:
        if self.model.instances is not None:
            self._display(self.model.current_content())
        elif self.content.path:
            self._display(self.model.content(self.content.path))

    def _display(self, content: PanelContent) -> None:
        self.content = content
        self.messageLabel.setText(content.message)
        self.messageLabel.setVisible(bool(content.message))
        if self.model.instances is not None and len(self.model.instances.files) > 1:
            self.instanceCountLabel.setText(f"{self.model.instance_index + 1} of {len(self.model.instances.files)}")
        self.summaryLabel.setText(_summary_html(content) if content.ok else "Nothing to explain.")
        self.summaryLabel.setToolTip(content.path)
        self.openPageButton.setEnabled(content.ok)
        self._fill_tree(content)
        self._fill_problems(content)
        fill_table(self.qt, self.anatomyTable, [list(row) for row in content.anatomy])
        fill_table(self.qt, self.uidTable, [[r.level, r.label, r.keyword, r.value] for r in content.uids])
        fill_table(self.qt, self.phiTable, [[r.tag, r.keyword, r.action, r.meaning, r.value] for r in content.phi])
        fill_table(self.qt, self.segTable, [[str(r.frame), str(r.segment_number or ""), r.segment_label,
                                             r.source_instance_uid, r.source_frame,
                                             os.path.basename(r.source_file) or "(not available)"]
                                            for r in content.seg_frames])
        self._fill_sr(content)
        self._show_kind_tabs()
        self.bytesView.setPlainText("")
        if content.frame_key:
            self._reveal_frame_item(content.frame_key)
        self.pacs.updateSelection()

    def sendSelection(self) -> SendSelection:
        """What the PACS tab's 'Send selected series' sends: the files followed, or the file shown."""
        return send_selection(self.model.instances, self.content.path)

    def _fill_tree(self, content: PanelContent) -> None:
        qt = self.qt
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        self.items = {}
        if content.tree is not None:
            brushes = {style: qt.QBrush(qt.QColor(colour)) for style, (_, colour) in LEGEND.items()}
            type_brushes = {code: qt.QBrush(qt.QColor(colour)) for code, (_, colour) in TYPE_LEGEND.items()}
            grey = qt.QBrush(qt.QColor("#6b7280"))

            def add(parent: Any, row: TreeRow) -> None:
                item = qt.QTreeWidgetItem(parent, row.columns)
                item.setData(0, qt.Qt.UserRole, row.key)
                if row.tooltip:
                    item.setToolTip(0, row.tooltip)
                if row.style != "present":
                    brush = brushes[row.style]
                    for column in range(len(COLUMNS)):
                        item.setBackground(column, brush)
                    if row.style in ("missing", "absent"):
                        for column in range(len(COLUMNS)):
                            item.setForeground(column, grey)
                if row.type_code in type_brushes:
                    item.setBackground(TYPE_COLUMN, type_brushes[row.type_code])
                self.items[row.key] = item
                for child in row.children:
                    add(item, child)
                if row.kind == "entity" or (row.kind == "module" and row.style == "error"):
                    item.setExpanded(True)

            for root in content.tree.roots:
                add(self.tree, root)
            for column in range(len(COLUMNS) - 3):
                self.tree.resizeColumnToContents(column)
        self.tree.setUpdatesEnabled(True)
        self._apply_filter()

    def _fill_problems(self, content: PanelContent) -> None:
        self.problemList.blockSignals(True)
        self.problemList.clear()
        self.problemKeys: list[str | None] = []
        if content.tree is not None:
            ordered = sorted(content.tree.problem_keys,
                             key=lambda pk: {"error": 0, "warning": 1}.get(pk[0].severity, 2))
            for problem, key in ordered:
                self.problemList.addItem(f"{problem.severity}: {problem.message}")
                self.problemKeys.append(key)
        self.problemList.setVisible(bool(self.problemKeys))
        self.problemList.blockSignals(False)

    def _fill_sr(self, content: PanelContent) -> None:
        qt = self.qt
        self.srTree.clear()
        if content.sr_root is None:
            return

        masked = self.model.mask_phi

        def add(parent: Any, row: Any) -> None:
            value = "•••• (may identify)" if masked and row.value_type in SR_TYPES_MASKED and row.value else row.value
            item = qt.QTreeWidgetItem(parent, [row.position, row.relationship, row.value_type, row.concept, value])
            for child in row.children:
                add(item, child)
            # The image library repeats each image's header: folded, so the measurements are in view.
            item.setExpanded(row.concept != "Image Library")

        add(self.srTree, content.sr_root)
        for column in range(4):
            self.srTree.resizeColumnToContents(column)

    # -- reacting to the student -----------------------------------------------------------------

    def _apply_filter(self) -> None:
        if self.content.tree is None:
            return
        problems_only = self.problemsOnlyCheckBox.isChecked()
        query = self.searchEdit.text()
        shown = visible_keys(self.content.tree, problems_only, query)
        filtering = problems_only or bool(query.strip())
        for key, item in self.items.items():
            item.setHidden(key not in shown)
            if filtering and key in shown:
                item.setExpanded(True)

    def onFilterChanged(self, *_args: Any) -> None:
        self._apply_filter()

    def onMaskToggled(self, checked: bool) -> None:
        self.model.mask_phi = bool(checked)
        self.refresh()

    def onInstanceSliderChanged(self, value: int) -> None:
        self.model.select_instance(int(value) - 1)
        self._display(self.model.current_content())

    def onProblemSelected(self, row: int) -> None:
        keys = getattr(self, "problemKeys", [])
        if 0 <= row < len(keys) and keys[row]:
            self.selectKey(keys[row])

    def selectKey(self, key: str) -> None:
        """Select (and reveal) the tree row with ``key``."""
        item = self.items.get(key)
        if item is None:
            return
        parent = item.parent()
        while parent is not None:
            parent.setExpanded(True)
            parent.setHidden(False)
            parent = parent.parent()
        item.setHidden(False)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item, self.qt.QAbstractItemView.PositionAtCenter)

    def _reveal_frame_item(self, key: str) -> None:
        """Select the frame's per-frame functional groups item, open it all (a few macros, one item each) and
        scroll it to the top, so its plane position and the rest are in view."""
        self.selectKey(key)
        item = self.items[key]
        stack = [item]
        while stack:
            current = stack.pop()
            current.setExpanded(True)
            stack += [current.child(i) for i in range(current.childCount())]
        self.tree.scrollToItem(item, self.qt.QAbstractItemView.PositionAtTop)

    def selectedKey(self) -> str:
        item = self.tree.currentItem()
        return str(item.data(0, self.qt.Qt.UserRole)) if item is not None else ""

    def onTreeItemChanged(self, current: Any, _previous: Any = None) -> None:
        if current is None or not self.content.ok:
            return
        key = str(current.data(0, self.qt.Qt.UserRole))
        row = self.content.tree.row(key) if self.content.tree is not None else None
        lines = row.tooltip.split("\n") if row is not None and row.tooltip else []
        try:
            element = self.model.element_bytes(self.content.path, key, self.content.frame)
        except Exception as error:  # noqa: BLE001 - a damaged file must not break the panel
            element = None
            lines.append(f"Cannot show the bytes: {error}")
        if element is not None:
            lines.append("")
            lines += [f"{part.label:>8} at byte {part.offset}: {_short_hex(part.hex)}  ({part.meaning})"
                      for part in element.parts]
            lines.append("")
            lines += element.dump_lines()
        elif row is not None and row.kind == "attribute" and row.offset is None:
            lines.append("Not in the file: no bytes to show.")
        self.bytesView.setPlainText("\n".join(lines))

    def onOpenPage(self) -> None:
        if not self.content.ok:
            return
        from ..explain.html import render_html

        html = render_html([self.content.explanation])
        folder = tempfile.mkdtemp(prefix="DICOMTeach-")
        path = os.path.join(folder, "explained.html")
        with open(path, "w", encoding="utf-8") as page:
            page.write(html)
        self.last_page_path = path
        self.open_page(path)

    def _open_in_browser(self, path: str) -> None:
        self.qt.QDesktopServices.openUrl(self.qt.QUrl.fromLocalFile(path))


def _short_hex(text: str, limit: int = 16) -> str:
    cells = text.split()
    return " ".join(cells[:limit]) + (" ..." if len(cells) > limit else "")


def _summary_html(content: PanelContent) -> str:
    """Three short lines: which file, what it is (SOP class, IOD, entities), how it is encoded and its problems;
    a fourth for the frame under the slice in a multi-frame file."""
    from html import escape

    parts = dict(content.summary)
    frame = f"<br>Frame {escape(parts['Frame'])}" if "Frame" in parts else ""
    return (f"<b>{escape(os.path.basename(content.path))}</b> &nbsp; {escape(parts.get('SOP Class', ''))}<br>"
            f"IOD <b>{escape(parts.get('IOD', ''))}</b>: {escape(parts.get('Entities', ''))}<br>"
            f"{escape(parts.get('Transfer syntax', ''))} &nbsp;|&nbsp; {escape(parts.get('Problems', ''))}{frame}")


def _legend_html() -> str:
    cells = " ".join(f"<span style='background:{colour}'>&nbsp;{label}&nbsp;</span>&nbsp;{meaning}"
                     for label, meaning, colour in legend_lines(short=True))
    return f"<small>Type/usage and status: {cells}</small>"


class LessonPanel:
    """The lessons tab: pick a lesson, read it, open its file, answer, get told why."""

    def __init__(self, qt: Any, panel: TeachingPanel) -> None:
        from ..lessons import all_lessons

        self.qt = qt
        self.panel = panel
        self.lessons = all_lessons()
        self.widget = qt.QWidget()
        layout = qt.QVBoxLayout(self.widget)
        self.lessonList = qt.QListWidget()
        self.lessonList.setMaximumHeight(80)
        for number, lesson in enumerate(self.lessons, start=1):
            self.lessonList.addItem(f"{number}. {lesson.title}")
        layout.addWidget(self.lessonList)
        self.textBrowser = qt.QTextBrowser()
        layout.addWidget(self.textBrowser, 3)
        self.showFileButton = qt.QPushButton("Explain the lesson's file")
        layout.addWidget(self.showFileButton)
        answerRow = qt.QHBoxLayout()
        self.answerEdit = qt.QLineEdit()
        self.answerEdit.setPlaceholderText("Your answer")
        self.checkButton = qt.QPushButton("Check")
        answerRow.addWidget(self.answerEdit)
        answerRow.addWidget(self.checkButton)
        layout.addLayout(answerRow)
        self.feedbackView = qt.QPlainTextEdit()
        self.feedbackView.setReadOnly(True)
        self.feedbackView.setPlaceholderText("Feedback on your answer")
        layout.addWidget(self.feedbackView, 2)
        self.lessonList.currentRowChanged.connect(self.onLessonChanged)
        self.checkButton.clicked.connect(self.onCheck)
        self.answerEdit.returnPressed.connect(self.onCheck)
        self.showFileButton.clicked.connect(self.onShowFile)
        self.lesson = None
        self.lessonList.setCurrentRow(0)

    def onLessonChanged(self, row: int) -> None:
        if not 0 <= row < len(self.lessons):
            return
        self.lesson = self.lessons[row]
        self.textBrowser.setHtml(self.lesson.as_html())
        self.answerEdit.setText("")
        self.feedbackView.setPlainText("")
        self.feedbackView.setStyleSheet("")
        self.showFileButton.setEnabled(bool(self.lesson.files_hint))

    def onShowFile(self) -> None:
        if self.lesson is None:
            return
        try:
            files = self.lesson.files()
        except Exception as error:  # noqa: BLE001 - told to the student, not raised
            self.feedbackView.setPlainText(f"The lesson's files cannot be prepared: {error}")
            return
        if files:
            self.panel.showFile(str(files[0]))
            self.feedbackView.setPlainText("The lesson's files:\n" + "\n".join(str(path) for path in files))

    def onCheck(self, *_args: Any) -> None:
        if self.lesson is None:
            return
        verdict = self.lesson.check(self.answerEdit.text())
        self.feedbackView.setPlainText(("Right. " if verdict.correct else "Not yet. ") + verdict.feedback)
        colour = "#dff3e4" if verdict.correct else "#fde2e2"
        self.feedbackView.setStyleSheet(f"QPlainTextEdit{{background:{colour}}}")
