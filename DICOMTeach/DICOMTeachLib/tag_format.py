"""A tag as the course and the standard write it. No dependencies: the standard's tables use it too."""

_TAG_TEXT: dict[int, str] = {}


def tag_text(tag: int) -> str:
    """"(gggg,eeee)" (cached: explain formats the same tags over and over)."""
    if type(tag) is not int:
        tag = int(tag)  # pydicom's BaseTag compares in Python: a plain int key is a C-level dict lookup
    text = _TAG_TEXT.get(tag)
    if text is None:
        text = _TAG_TEXT[tag] = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return text
