// A plotly chart that Python patches in place: "full" draws it, "extend" appends points,
// "restyle" / "relayout" change attributes.  plotly.js comes once per page from the
// PlotlyJS widget (window.Plotly); messages are applied in order.
const CONFIG = { responsive: true, displaylogo: false, toImageButtonOptions: { format: "png", scale: 2 } };

function plotly() {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    (function wait() {
      if (window.Plotly) return resolve(window.Plotly);
      if (Date.now() - t0 > 120000) return reject(new Error("plotly.js did not load"));
      setTimeout(wait, 30);
    })();
  });
}

// consecutive "extend" messages become one extendTraces call: plotly redraws the whole chart on
// each call, so while playing, the points of the ticks that arrived since the last frame are drawn at once
function coalesce(queue) {
  const out = [];
  for (const msg of queue) {
    const last = out[out.length - 1];
    if (msg.type === "extend" && last && last.type === "extend" && sameTraces(last, msg)) {
      msg.traces.forEach((_, k) => { last.x[k] = last.x[k].concat(msg.x[k]); last.y[k] = last.y[k].concat(msg.y[k]); });
    } else {
      out.push(msg.type === "extend" ? { ...msg, x: msg.x.map((a) => a.slice()), y: msg.y.map((a) => a.slice()) } : msg);
    }
  }
  return out;
}

function sameTraces(a, b) {
  return a.traces.length === b.traces.length && a.traces.every((t, k) => t === b.traces[k]);
}

// one redraw per animation frame for all charts of the page, the one waiting longest first: a
// plotly redraw costs the whole chart, so the page stays responsive and a chart that waited
// draws the points of all the ticks that arrived meanwhile at once
function scheduler() {
  if (!window.__wgLiveCharts) {
    const s = { views: new Set(), byKey: new Map(), running: false };
    const frame = async () => {
      let next = null;
      for (const v of s.views) if (v.pending.length && (!next || v.since < next.since)) next = v;
      if (next) await next.flush().catch((e) => console.error(e));
      if ([...s.views].some((v) => v.pending.length)) requestAnimationFrame(frame);
      else s.running = false;
    };
    s.kick = () => {
      if (!s.running) {
        s.running = true;
        requestAnimationFrame(frame);
      }
    };
    window.__wgLiveCharts = s;
  }
  return window.__wgLiveCharts;
}

export default {
  render({ model, el }) {
    const gd = document.createElement("div");
    gd.className = "wg-live";
    el.appendChild(gd);
    let drawn = false;
    let lengths = [];
    const view = { pending: [], since: 0 };
    const apply = (Plotly, msg) => {
      if (msg.type === "full") {
        lengths = msg.data.map((t) => (t.x || []).length);
        drawn = true;
        return Plotly.react(gd, msg.data, msg.layout, CONFIG);
      }
      if (!drawn) return;
      if (msg.type === "extend") {
        // the points must follow on from what this view holds; if not, ask for the whole figure
        if (msg.traces.some((i, k) => lengths[i] !== msg.n[k])) {
          drawn = false;
          model.send({ type: "ready" });
          return;
        }
        msg.traces.forEach((i, k) => { lengths[i] += msg.x[k].length; });
        return Plotly.extendTraces(gd, { x: msg.x, y: msg.y }, msg.traces);
      }
      if (msg.type === "restyle") return Plotly.restyle(gd, msg.update, msg.traces);
      if (msg.type === "relayout") return Plotly.relayout(gd, msg.update);
    };
    view.flush = async () => {
      const Plotly = await plotly();
      const batch = coalesce(view.pending);
      view.pending = [];
      for (const msg of batch) await apply(Plotly, msg);
    };
    const sched = scheduler();
    sched.views.add(view);
    const key = model.get("key");
    if (key) sched.byKey.set(key, view);  // patches may come with the pacer's message (see livechart.py)
    view.receive = (msg) => {
      if (!view.pending.length) view.since = performance.now();
      view.pending.push(msg);
      sched.kick();
    };
    const onMsg = (msg) => view.receive(msg);
    model.on("msg:custom", onMsg);
    model.send({ type: "ready" });
    const resize = new ResizeObserver(() => {
      plotly().then((Plotly) => { if (drawn && gd.offsetWidth) Plotly.Plots.resize(gd); });
    });
    resize.observe(el);
    return () => {
      sched.views.delete(view);
      if (key && sched.byKey.get(key) === view) sched.byKey.delete(key);
      model.off("msg:custom", onMsg);
      resize.disconnect();
      plotly().then((Plotly) => Plotly.purge(gd));
    };
  },
};
