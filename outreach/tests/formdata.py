"""What a browser would post back from a page's form: every input, select and
textarea with its current value, as an attacker replays it."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.depth = form_id, False, 0
        self.data: list[tuple[str, str]] = []
        self._select = self._option = self._textarea = None
        self._selected_any = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            form_id = attrs.get("id") or ""
            wanted = form_id.endswith("_form") if self.form_id is None else form_id == self.form_id
            if not self.inside and wanted:
                self.inside, self.depth = True, 1
            elif self.inside:
                self.depth += 1
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "image", "file", "reset"):
                self.data.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select, self._first, self._selected_any = name, None, False
            self._multiple = "multiple" in attrs
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first is None:
                self._first = value
            if "selected" in attrs:
                self.data.append((self._select, value))
                self._selected_any = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.depth -= 1
            self.inside = self.depth > 0
        elif tag == "select" and self._select:
            if not self._selected_any and not self._multiple and self._first is not None:
                self.data.append((self._select, self._first))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def form_data(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """The fields of the page's admin form (the first whose id ends in "_form",
    as Django names them) or of the form `form_id`, as the test client posts them."""
    reader = _FormReader(form_id)
    reader.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in reader.data:
        data.setdefault(name, []).append(value)
    return data
