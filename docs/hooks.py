"""MkDocs hook: a pipe escaped in a table cell's code span reads `|` on the site.

GitHub's tables need `\\|` for a pipe inside a code span of a cell (the
flags of `docs/examples.md`) and show it as `|`; Python-Markdown keeps the
backslash inside the code. This takes it out again, in table cells only, so
the same Markdown reads right on GitHub and on the site.
"""

import re

_CELL = re.compile(r"(<td[^>]*>)(.*?)(</td>)", re.S)
_CODE = re.compile(r"<code>[^<]*</code>")


def _mend(cell):
    inner = _CODE.sub(lambda code: code.group(0).replace("\\|", "|"), cell.group(2))
    return cell.group(1) + inner + cell.group(3)


def on_page_content(html, **kwargs):
    return _CELL.sub(_mend, html)
