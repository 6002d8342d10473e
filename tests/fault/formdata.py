"""What a browser would send for a form on a page, and two requests sent at the same instant."""
import threading
from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "fields": []}
            if (a.get("method") or "get").lower() == "post":
                self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((a["name"], a.get("value", "on")))
            else:
                fields.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            s = self._select
            chosen = s["chosen"] if s["chosen"] is not None else s["first"]
            if chosen is not None:
                self._form["fields"].append((s["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_data(html: str, action: str | None = None, **overrides) -> dict:
    """The fields of the page's form posting to `action` (or to the page itself),
    as a browser would send them, with `overrides` replacing values (None drops a field)."""
    parser = _Forms()
    parser.feed(html)
    candidates = [f for f in parser.forms if (f["action"].endswith(action) if action
                                              else f["action"] == "")]
    assert candidates, f"no form for {action!r} on the page"
    data: dict = {}
    for name, value in candidates[0]["fields"]:
        if name in data:
            data[name] = [*data[name], value] if isinstance(data[name], list) else [
                data[name], value]
        else:
            data[name] = value
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def at_once(*calls):
    """Run the callables in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as error:  # noqa: BLE001 (reported to the test below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results
