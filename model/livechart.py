"""Plotly charts patched in place over the widget channel (anywidget), for the viz.

``LiveChart.show(data, layout)`` draws a figure once; ``extend`` sends only the new
points of some traces, ``restyle`` and ``relayout`` only the changed attributes, so a
step costs a few hundred bytes instead of resending whole figures.  The chart keeps its
own copy of the figure and resends it when a view asks (a view mounted later, or one
that missed a message).  With a ``bus`` (a :class:`Pacer`), the patches of all charts
travel together in the pacer's one message per tick.

plotly.js itself (the copy shipped inside the plotly Python package, so it works
offline) reaches the page once, through one :class:`PlotlyJS` widget, instead of once
per chart.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets


def _plotly_module() -> str:
    from importlib.resources import files

    source = files("plotly").joinpath("package_data", "plotly.min.js").read_text(encoding="utf-8")
    return source + "\nexport default { render() {} };\n"  # plotly.min.js sets window.Plotly


class PlotlyJS(anywidget.AnyWidget):
    """Loads plotly.js into the page (render one, hidden, before the charts)."""

    _esm = _plotly_module()


class LiveChart(anywidget.AnyWidget):
    """A plotly figure that Python updates by messages (see the module doc)."""

    _esm = Path(__file__).with_name("livechart.js").read_text(encoding="utf-8")
    key = traitlets.Unicode("").tag(sync=True)  # names the chart in a bus message

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.figure: dict = {"data": [], "layout": {}}
        self.bus = None  # anything with post(key, patch) -> bool, e.g. a Pacer
        self.on_msg(self._on_msg)

    def _post(self, msg: dict) -> None:
        if not (self.bus is not None and self.key and self.bus.post(self.key, msg)):
            self.send(msg)

    def _on_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "ready":
            self._send_full()

    def _send_full(self) -> None:
        self.send({"type": "full", **self.figure})

    def show(self, data: list[dict], layout: dict) -> None:
        """Draw a new figure (traces as plain dicts with list values)."""
        self.figure = {"data": data, "layout": layout}
        self._send_full()

    def extend(self, traces: list[int], x: list[list], y: list[list]) -> None:
        """Append points ``x[k], y[k]`` to trace ``traces[k]``."""
        data = self.figure["data"]
        n = [len(data[i]["x"]) for i in traces]
        for i, xs, ys in zip(traces, x, y):
            data[i]["x"].extend(xs)  # the message below is serialized at once: no copy needed
            data[i]["y"].extend(ys)
        self._post({"type": "extend", "traces": traces, "x": x, "y": y, "n": n})

    def restyle(self, update: dict, traces: list[int]) -> None:
        """Set attributes of some traces: ``update[attr][k]`` for ``traces[k]`` (dotted attrs allowed)."""
        for attr, values in update.items():
            for i, v in zip(traces, values):
                _set(self.figure["data"][i], attr, v)
        self._post({"type": "restyle", "update": update, "traces": traces})

    def relayout(self, update: dict) -> None:
        """Set layout attributes (top-level keys such as ``shapes``)."""
        for attr, v in update.items():
            _set(self.figure["layout"], attr, v)
        self._post({"type": "relayout", "update": update})


def _set(obj: dict, dotted: str, value) -> None:
    *path, last = dotted.split(".")
    for part in path:
        obj = obj.setdefault(part, {})
    obj[last] = value


class Pacer(anywidget.AnyWidget):
    """One message per tick, and a play loop that keeps pace with the browser.

    Charts ``post`` their patches; ``mark(n)`` sends them with the tick number in one message,
    which the page hands to the charts (see livechart.js) and then echoes; ``wait(n)`` blocks
    until the page has handled tick ``n``.  So Play never runs far ahead of what the page
    shows, and what Pause stops is what the page shows."""

    _esm = """
export default {
  initialize({ model }) {
    model.on("msg:custom", (msg) => {
      const charts = window.__wgLiveCharts;
      for (const [key, patch] of msg.patches || []) {
        const view = charts && charts.byKey.get(key);
        if (view) view.receive(patch);  // a chart not shown asks for its whole figure when it is
      }
      setTimeout(() => model.send({ shown: msg.tick }), 0);
    });
    model.send({ shown: -1 });  // a page is there: from now on, wait for it
  },
  render() {},
};
"""

    def __init__(self, **kwargs):
        import threading

        super().__init__(**kwargs)
        self._shown = -2  # -1 once a page has loaded the widget
        self._changed = threading.Condition()
        self._patches: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self.on_msg(self._on_msg)

    def _on_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and isinstance(content.get("shown"), int):
            with self._changed:
                self._shown = max(self._shown, content["shown"])
                self._changed.notify_all()

    def post(self, key: str, patch: dict) -> bool:
        """Queue a chart's patch for the next :meth:`mark` (True: taken)."""
        with self._lock:
            self._patches.append((key, patch))
        return True

    def mark(self, tick: int) -> None:
        """Send the patches posted since the last mark, with ``tick``."""
        with self._lock:
            patches, self._patches = self._patches, []
        self.send({"tick": int(tick), "patches": patches})

    def wait(self, tick: int, timeout: float) -> bool:
        """True once the page has shown ``tick``, or at once when no page has loaded the widget (a test);
        False after ``timeout`` seconds (a page gone or too slow: the loop goes on)."""
        with self._changed:
            if self._shown == -2:
                return True
            return self._changed.wait_for(lambda: self._shown >= tick, timeout)
