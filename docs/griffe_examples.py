"""A griffe extension for the API pages: render "Example:" docstring sections as examples.

The package's docstrings follow the Google style, where "Example:" and "Examples:" are both
usual. griffe treats only the plural as a section of console examples (code blocks with their
output) and the singular as a plain admonition, in which ">>>" would read as nested quotes. This
extension renames the singular heading before the docstrings are parsed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:[ \t]*$", flags=re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename a docstring's "Example:" section heading to "Examples:"."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the raw docstring of every object once the tree is loaded."""
        if obj.docstring is not None and "Example:" in obj.docstring.value:
            obj.docstring.value = _SINGULAR.sub(r"\1Examples:", obj.docstring.value)
