"""The pages' number boxes in AppTest. Each is a text box (ui/form.number_box: Streamlit's own number box read a
German "0,001" as 1 in the browser), so a test sets the text a person types and reads the number the box shows."""
from __future__ import annotations

import re

from zoo.registry import as_typed


class NumberBox:
    """A text box read as a number: `value` is the number its text shows (the text itself where it is none),
    `set_value` types a number as a person writes it ("64", "0.001") or a text as given ("1.000")."""

    def __init__(self, box):
        self.box = box

    @property
    def value(self):
        text = self.box.value
        if re.fullmatch(r"\s*[+-]?\d+\s*", text or ""):
            return int(text)
        try:
            return float(text)
        except (TypeError, ValueError):
            return text

    def set_value(self, value):
        return self.box.set_value(value if isinstance(value, str) else as_typed(value))

    def __getattr__(self, name):   # key, label, disabled, help, run ...
        return getattr(self.box, name)


def number_box(at, key: str) -> NumberBox:
    """The number box drawn under `key` on the AppTest page `at`."""
    return NumberBox(at.text_input(key=key))
