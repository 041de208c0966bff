// The waterfall viewer. It reads the spans from the page's JSON element,
// lists the traces and draws the chosen one. Lists draw only the rows on
// screen, so 100 000 spans stay smooth. Text from spans is only ever set
// as textContent, never parsed as HTML.
(function () {
  "use strict";

  var ROW = 24;
  var TRACE_ROW = 44;
  var OVERSCAN = 8;

  var data = JSON.parse(document.getElementById("tracer-data").textContent);
  var services = data.services;
  var originMs = Number(BigInt(data.origin) / 1000000n);
  var originNsRest = Number(BigInt(data.origin) % 1000000n);

  // --- Small helpers -----------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatDuration(ns) {
    if (ns < 1000) return ns + " ns";
    if (ns < 1e6) return (ns / 1e3).toFixed(2) + " µs";
    if (ns < 1e9) return (ns / 1e6).toFixed(2) + " ms";
    return (ns / 1e9).toFixed(2) + " s";
  }

  function plural(count, noun) {
    return count + " " + noun + (count === 1 ? "" : "s");
  }

  function formatValue(value) {
    if (typeof value === "string") return value;
    return JSON.stringify(value);
  }

  function wallClock(offsetNs) {
    var ms = originMs + (originNsRest + offsetNs) / 1e6;
    var date = new Date(Math.floor(ms));
    var rest = Math.round((ms - Math.floor(ms)) * 1e6);
    return date.toISOString().replace("Z", "") + String(rest).padStart(6, "0") + "Z";
  }

  // --- The model: spans grouped into traces ------------------------------

  var traces = [];
  var traceById = new Map();
  data.spans.forEach(function (span, index) {
    span.index = index;
    span.end = span.b + span.d;
    span.kids = [];
    span.parent = null;
    span.error = span.s === 2;
    span.cancelled = !!(span.a && span.a.cancelled === true);
    var trace = traceById.get(span.t);
    if (!trace) {
      trace = { id: span.t, spans: [], byId: new Map(), start: span.b, end: span.end, errors: 0, order: null };
      traceById.set(span.t, trace);
      traces.push(trace);
    }
    trace.spans.push(span);
    trace.byId.set(span.i, span);
    if (span.b < trace.start) trace.start = span.b;
    if (span.end > trace.end) trace.end = span.end;
    if (span.error) trace.errors++;
  });

  function byStart(a, b) {
    return a.b - b.b || a.index - b.index;
  }

  traces.forEach(function (trace) {
    trace.tops = [];
    trace.spans.forEach(function (span) {
      var parent = span.p && trace.byId.get(span.p);
      if (parent && parent !== span) {
        span.parent = parent;
        parent.kids.push(span);
      } else {
        trace.tops.push(span);
      }
    });
    trace.tops.sort(byStart);
    trace.spans.forEach(function (span) {
      if (span.kids.length > 1) span.kids.sort(byStart);
    });
    trace.root = trace.tops[0] || trace.spans[0];
    trace.duration = trace.end - trace.start;
  });

  // Depth-first order with depths; spans in a parent cycle (bad input),
  // which no top reaches, are added as tops.
  function order(trace) {
    if (trace.order) return trace.order;
    var out = [];
    var seen = new Set();
    function walk(top) {
      var stack = [[top, 0]];
      while (stack.length) {
        var item = stack.pop();
        var span = item[0];
        if (seen.has(span)) continue;
        seen.add(span);
        span.depth = item[1];
        out.push(span);
        for (var k = span.kids.length - 1; k >= 0; k--) stack.push([span.kids[k], item[1] + 1]);
      }
    }
    trace.tops.forEach(walk);
    trace.spans.forEach(function (span) {
      if (!seen.has(span)) walk(span);
    });
    trace.order = out;
    return out;
  }

  // --- State -------------------------------------------------------------

  var state = {
    sort: "start",
    query: "",
    trace: null,
    selected: null,
    collapsed: new Set(),
    rows: [],
    matches: null,
  };

  function matches(span) {
    return span.n.toLowerCase().indexOf(state.query) >= 0;
  }

  function traceMatches(trace) {
    if (!state.query) return true;
    return trace.spans.some(matches);
  }

  function visibleRows(trace) {
    var all = order(trace);
    if (state.query) {
      var keep = new Set();
      all.forEach(function (span) {
        if (!matches(span)) return;
        for (var a = span; a && !keep.has(a); a = a.parent) keep.add(a);
      });
      return all.filter(function (span) { return keep.has(span); });
    }
    var out = [];
    var hideBelow = -1;
    all.forEach(function (span) {
      if (hideBelow >= 0) {
        if (span.depth > hideBelow) return;
        hideBelow = -1;
      }
      out.push(span);
      if (state.collapsed.has(span)) hideBelow = span.depth;
    });
    return out;
  }

  // --- A list that draws only the rows on screen -------------------------

  function VirtualList(scroller, rowHeight, render) {
    this.scroller = scroller;
    this.rowHeight = rowHeight;
    this.render = render;
    this.items = [];
    this.spacer = el("div", "spacer");
    this.window = el("div", "window");
    this.spacer.appendChild(this.window);
    scroller.appendChild(this.spacer);
    this.first = -1;
    this.last = -1;
    var list = this;
    scroller.addEventListener("scroll", function () { list.draw(false); });
    window.addEventListener("resize", function () { list.draw(true); });
  }

  VirtualList.prototype.setItems = function (items, keepScroll) {
    this.items = items;
    this.spacer.style.height = items.length * this.rowHeight + "px";
    if (!keepScroll) this.scroller.scrollTop = 0;
    this.draw(true);
  };

  VirtualList.prototype.draw = function (force) {
    var top = this.scroller.scrollTop;
    var height = this.scroller.clientHeight || 800;
    var first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    var last = Math.min(this.items.length, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    var fragment = document.createDocumentFragment();
    for (var i = first; i < last; i++) fragment.appendChild(this.render(this.items[i], i));
    this.window.replaceChildren(fragment);
    this.window.style.transform = "translateY(" + first * this.rowHeight + "px)";
  };

  VirtualList.prototype.reveal = function (index) {
    var top = index * this.rowHeight;
    var height = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + this.rowHeight > this.scroller.scrollTop + height) this.scroller.scrollTop = top + this.rowHeight - height;
    this.draw(true);
  };

  // --- The trace list ----------------------------------------------------

  var traceList = new VirtualList(document.getElementById("trace-list"), TRACE_ROW, function (trace) {
    var item = el("div", "trace" + (trace === state.trace ? " selected" : ""));
    item.setAttribute("role", "option");
    item.dataset.traceId = trace.id;
    item.appendChild(el("div", "root", trace.root ? trace.root.n : trace.id));
    var facts = el("div", "facts");
    facts.appendChild(document.createTextNode(
      services[trace.root.v] + " · " + plural(trace.spans.length, "span") + " · " + formatDuration(trace.duration)));
    if (trace.errors) facts.appendChild(el("span", "errors", " · " + plural(trace.errors, "error")));
    item.appendChild(facts);
    return item;
  });

  function sortedTraces() {
    var list = traces.filter(traceMatches);
    var key = {
      start: function (a, b) { return a.start - b.start; },
      duration: function (a, b) { return b.duration - a.duration || a.start - b.start; },
      errors: function (a, b) { return b.errors - a.errors || b.duration - a.duration; },
    }[state.sort];
    return list.sort(key);
  }

  function showTraces() {
    var list = sortedTraces();
    traceList.setItems(list, true);
    if (!state.trace || list.indexOf(state.trace) < 0) selectTrace(list[0] || null);
  }

  document.getElementById("trace-list").addEventListener("click", function (event) {
    var item = event.target.closest(".trace");
    if (item) selectTrace(traceById.get(item.dataset.traceId));
  });

  document.getElementById("sort").addEventListener("change", function (event) {
    state.sort = event.target.value;
    showTraces();
  });

  // --- The waterfall -----------------------------------------------------

  var rowList = new VirtualList(document.getElementById("rows"), ROW, function (span) {
    var trace = state.trace;
    var row = el("div", "row");
    if (span === state.selected) row.classList.add("selected");
    if (state.query) row.classList.add(matches(span) ? "match" : "context");
    if (span.error) row.classList.add("error");
    if (span.cancelled) row.classList.add("cancelled");
    row.setAttribute("role", "treeitem");
    row.setAttribute("aria-level", span.depth + 1);
    row.dataset.spanId = span.i;
    row.dataset.depth = span.depth;
    if (span.parent) row.dataset.parentId = span.parent.i;

    var label = el("div", "label label-column");
    label.style.paddingLeft = 4 + span.depth * 14 + "px";
    var toggle = el("button", "toggle", span.kids.length ? (state.collapsed.has(span) ? "▶" : "▼") : "");
    if (!span.kids.length) toggle.classList.add("none");
    toggle.setAttribute("aria-label", state.collapsed.has(span) ? "expand" : "collapse");
    if (span.kids.length) row.setAttribute("aria-expanded", !state.collapsed.has(span));
    label.appendChild(toggle);
    label.appendChild(el("span", "name", span.n));
    if (services.length > 1 && (!span.parent || span.parent.v !== span.v)) label.appendChild(el("span", "svc", services[span.v]));
    if (span.error) {
      var mark = el("span", "marker error", "✗");
      mark.title = "error: " + (span.m || "");
      label.appendChild(mark);
    }
    if (span.cancelled) {
      var cancelled = el("span", "marker cancelled", "⊘");
      cancelled.title = "cancelled";
      label.appendChild(cancelled);
    }
    row.appendChild(label);

    var lane = el("div", "lane lane-column");
    var total = Math.max(trace.duration, 1);
    var bar = el("div", "bar" + (span.error ? " error" : span.cancelled ? " cancelled" : span.s === 1 ? " ok" : ""));
    bar.style.left = ((span.b - trace.start) / total) * 100 + "%";
    bar.style.width = (span.d / total) * 100 + "%";
    (span.e || []).forEach(function (event) {
      var tick = el("i", "tick");
      tick.style.left = (span.d > 0 ? Math.min(Math.max(event.o / span.d, 0), 1) * 100 : 0) + "%";
      tick.title = event.n + " +" + formatDuration(Math.max(event.o, 0));
      bar.appendChild(tick);
    });
    lane.appendChild(bar);
    var duration = el("span", "dur", formatDuration(span.d));
    duration.style.left = "calc(" + Math.min(((span.end - trace.start) / total) * 100, 100) + "% + 4px)";
    duration.style.right = "auto";
    lane.appendChild(duration);
    row.appendChild(lane);
    return row;
  });

  function showRows(keepScroll) {
    var trace = state.trace;
    state.rows = trace ? visibleRows(trace) : [];
    rowList.setItems(state.rows, keepScroll);
    if (!trace) {
      rowList.window.replaceChildren(el("div", "empty", data.spans.length ? "No span matches the filter." : "No spans recorded yet."));
    }
  }

  function showRuler(trace) {
    var ticks = document.getElementById("ruler-ticks");
    ticks.replaceChildren();
    if (!trace) return;
    for (var i = 0; i <= 4; i++) {
      var tick = el("span", "", i === 0 ? "0" : formatDuration(Math.round((trace.duration * i) / 4)));
      tick.style.left = i * 25 + "%";
      ticks.appendChild(tick);
    }
  }

  function selectTrace(trace) {
    state.trace = trace;
    state.selected = null;
    state.collapsed = new Set();
    var title = document.getElementById("trace-title");
    title.textContent = trace ? (trace.root.n + " — trace " + trace.id) : "";
    showRuler(trace);
    showRows(false);
    traceList.draw(true);
    showDetails(null);
  }

  function selectSpan(span) {
    state.selected = span;
    rowList.draw(true);
    showDetails(span);
  }

  document.getElementById("rows").addEventListener("click", function (event) {
    var row = event.target.closest(".row");
    if (!row) return;
    var span = state.trace.byId.get(row.dataset.spanId);
    if (event.target.closest(".toggle")) {
      if (!span.kids.length) return;
      if (state.collapsed.has(span)) state.collapsed.delete(span);
      else state.collapsed.add(span);
      showRows(true);
      return;
    }
    selectSpan(span);
  });

  document.getElementById("search").addEventListener("input", function (event) {
    state.query = event.target.value.trim().toLowerCase();
    showTraces();
    showRows(false);
  });

  // --- Details -----------------------------------------------------------

  function table(pairs) {
    var t = el("table");
    pairs.forEach(function (pair) {
      var tr = el("tr");
      tr.appendChild(el("th", "", pair[0]));
      var td = el("td");
      if (pair[1] instanceof Node) td.appendChild(pair[1]);
      else td.textContent = pair[1];
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }

  function attributePairs(attributes) {
    return Object.keys(attributes || {}).map(function (key) { return [key, formatValue(attributes[key])]; });
  }

  function showDetails(span) {
    var pane = document.getElementById("details");
    pane.replaceChildren();
    if (!span) {
      pane.appendChild(el("p", "hint", "Click a span to see its attributes, events, links and ids."));
      return;
    }
    pane.appendChild(el("h2", "", span.n));
    var status = el("span", span.error ? "status-error" : span.s === 1 ? "status-ok" : "",
      span.error ? "error" + (span.m ? ": " + span.m : "") : span.s === 1 ? "ok" : "unset");
    var facts = [
      ["service", services[span.v]],
      ["kind", span.k],
      ["status", status],
      ["duration", formatDuration(span.d)],
      ["start", "+" + formatDuration(span.b - state.trace.start) + " (" + wallClock(span.b) + ")"],
    ];
    if (span.cancelled) facts.push(["cancelled", "yes: dropped before it finished"]);
    pane.appendChild(table(facts));

    pane.appendChild(el("h3", "", "Attributes"));
    var attributes = attributePairs(span.a);
    pane.appendChild(attributes.length ? table(attributes) : el("p", "hint", "none"));
    if (span.x) pane.appendChild(el("p", "hint", "dropped: " + span.x[0] + " attributes, " + span.x[1] + " events, " + span.x[2] + " links"));

    pane.appendChild(el("h3", "", "Events"));
    if (!span.e || !span.e.length) pane.appendChild(el("p", "hint", "none"));
    (span.e || []).forEach(function (event) {
      var box = el("div", "event");
      box.appendChild(el("span", "event-name", event.n));
      box.appendChild(document.createTextNode(" +" + formatDuration(Math.max(event.o, 0))));
      var pairs = attributePairs(event.a);
      if (pairs.length) box.appendChild(table(pairs));
      pane.appendChild(box);
    });

    pane.appendChild(el("h3", "", "Links"));
    if (!span.l || !span.l.length) pane.appendChild(el("p", "hint", "none"));
    (span.l || []).forEach(function (link) {
      var target = traceById.get(link.t);
      var linked = target && target.byId.get(link.i);
      var name = linked ? el("button", "link", linked.n) : el("span", "", "not in this page");
      if (linked) {
        name.addEventListener("click", function () {
          if (state.query && !traceMatches(target)) {
            document.getElementById("search").value = "";
            state.query = "";
            showTraces();
          }
          selectTrace(target);
          var index = state.rows.indexOf(linked);
          if (index >= 0) rowList.reveal(index);
          selectSpan(linked);
        });
      }
      pane.appendChild(table([["span", name], ["trace id", link.t], ["span id", link.i]].concat(attributePairs(link.a))));
    });

    pane.appendChild(el("h3", "", "Ids"));
    var ids = [["trace id", span.t], ["span id", span.i]];
    if (span.p) ids.push(["parent span id", span.p + (span.r ? " (remote)" : span.parent ? "" : " (not in this page)")]);
    pane.appendChild(table(ids));
  }

  // --- Start -------------------------------------------------------------

  document.getElementById("summary").textContent =
    plural(traces.length, "trace") + " · " + plural(data.spans.length, "span");
  if (data.left_out > 0) {
    var leftOut = document.getElementById("left-out");
    leftOut.hidden = false;
    leftOut.textContent = plural(data.left_out, "span") + " left out (the exporter keeps at most " + data.max_spans + ")";
  }
  showTraces();
  if (!traces.length) showRows(false);
  document.body.dataset.ready = "true";
})();
