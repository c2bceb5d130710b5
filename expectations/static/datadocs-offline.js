/*
 * Offline stand-in for the jQuery / Bootstrap / bootstrap-table calls made by Great
 * Expectations Data Docs (fiscal-warehouse; see expectations/offline_docs.py).
 *
 * GX's pages load these libraries from public CDNs. Offline, the index page would show an empty
 * table (its rows are rendered by bootstrap-table from inline data) and collapsible sections
 * would never open. This file implements only the small subset the GX 1.x templates call:
 *   $(selector|element|fn), .ready .on .each .parent .fadeIn .fadeOut .show .hide .addClass
 *   .removeClass .prepend .data .modal .bootstrapTable(options | 'clearFilterControl' | ...)
 * plus data-toggle="collapse" / "tab" / "buttons" handling and a vegaEmbed placeholder.
 * It is our own code, not a copy of those libraries.
 */
(function () {
  "use strict";

  function toArray(list) { return Array.prototype.slice.call(list || []); }

  function onReady(fn) {
    if (document.readyState !== "loading") { setTimeout(fn, 0); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function Q(nodes) {
    this.nodes = nodes;
    this.length = nodes.length;
    for (var i = 0; i < nodes.length; i++) { this[i] = nodes[i]; }
  }

  function $(sel) {
    if (typeof sel === "function") { onReady(sel); return new Q([]); }
    if (sel instanceof Q) { return sel; }
    if (sel === document || sel === window || (sel && sel.nodeType)) { return new Q([sel]); }
    if (typeof sel === "string") {
      var s = sel.trim();
      if (s.charAt(0) === "<") {
        var t = document.createElement("template");
        t.innerHTML = s;
        return new Q(toArray(t.content.childNodes));
      }
      try { return new Q(toArray(document.querySelectorAll(s))); } catch (e) { return new Q([]); }
    }
    return new Q([]);
  }

  function unique(nodes) {
    return nodes.filter(function (n, i) { return n && nodes.indexOf(n) === i; });
  }

  Q.prototype.ready = function (fn) { onReady(fn); return this; };
  Q.prototype.each = function (fn) {
    this.nodes.forEach(function (el, i) { fn.call(el, i, el); });
    return this;
  };
  Q.prototype.parent = function () {
    return new Q(unique(this.nodes.map(function (n) { return n.parentElement; })));
  };
  Q.prototype.show = Q.prototype.fadeIn = function () {
    this.nodes.forEach(function (n) { if (n.style) { n.style.display = ""; } });
    return this;
  };
  Q.prototype.hide = Q.prototype.fadeOut = function () {
    this.nodes.forEach(function (n) { if (n.style) { n.style.display = "none"; } });
    return this;
  };
  Q.prototype.addClass = function (c) {
    this.nodes.forEach(function (n) { if (n.classList) { n.classList.add.apply(n.classList, c.split(/\s+/).filter(Boolean)); } });
    return this;
  };
  Q.prototype.removeClass = function (c) {
    this.nodes.forEach(function (n) { if (n.classList) { n.classList.remove.apply(n.classList, c.split(/\s+/).filter(Boolean)); } });
    return this;
  };
  Q.prototype.prepend = function (html) {
    this.nodes.forEach(function (n) { if (n.insertAdjacentHTML) { n.insertAdjacentHTML("afterbegin", String(html)); } });
    return this;
  };
  Q.prototype.append = function (html) {
    this.nodes.forEach(function (n) { if (n.insertAdjacentHTML) { n.insertAdjacentHTML("beforeend", String(html)); } });
    return this;
  };
  Q.prototype.data = function (key) {
    var n = this.nodes[0];
    return n && n.getAttribute ? n.getAttribute("data-" + key) : undefined;
  };
  Q.prototype.attr = function (key) {
    var n = this.nodes[0];
    return n && n.getAttribute ? n.getAttribute(key) : undefined;
  };
  // Bootstrap modal (GX's walkthrough pop-up): not shown offline.
  Q.prototype.modal = function () { return this; };
  Q.prototype.on = function (events, handler) {
    String(events).split(/\s+/).forEach(function (evt) {
      this.nodes.forEach(function (n) {
        if (evt.indexOf("click-row") === 0) {
          (n._ffwClickRow = n._ffwClickRow || []).push(handler);
        } else if (n.addEventListener) {
          n.addEventListener(evt.split(".")[0], handler);
        }
      });
    }, this);
    return this;
  };

  /* ---------------- bootstrap-table subset ---------------- */

  function lookupFn(name) {
    if (typeof name === "function") { return name; }
    if (typeof name === "string" && typeof window[name] === "function") { return window[name]; }
    return null;
  }
  function truthy(v) { return v === true || v === "true" || v === "True"; }

  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === undefined || a === null) { return 1; }
    if (b === undefined || b === null) { return -1; }
    return a < b ? -1 : 1;
  }

  function renderTable(table, opts) {
    var columns = opts.columns || [];
    var data = (opts.data || []).slice();
    if (opts.sortName) {
      var col = columns.filter(function (c) { return c.field === opts.sortName; })[0];
      var key = (col && col.sortName) || opts.sortName;
      var sign = opts.sortOrder === "desc" ? -1 : 1;
      data.sort(function (a, b) { return sign * compare(a[key], b[key]); });
    }
    var rowAttributes = lookupFn(opts.rowAttributes);
    var rowStyle = lookupFn(opts.rowStyle);

    table.innerHTML = "";
    table.classList.add("table", "ffw-table");
    var thead = document.createElement("thead");
    var headRow = document.createElement("tr");
    columns.forEach(function (c) {
      var th = document.createElement("th");
      th.innerHTML = c.title || c.field || "";
      if (c.align) { th.style.textAlign = c.align; }
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    table.appendChild(thead);

    var tbody = document.createElement("tbody");
    data.forEach(function (row, index) {
      var tr = document.createElement("tr");
      if (rowAttributes) {
        var attrs = rowAttributes(row, index) || {};
        Object.keys(attrs).forEach(function (k) { tr.setAttribute(k, attrs[k]); });
      }
      if (rowStyle) {
        var css = (rowStyle(row, index) || {}).css || {};
        Object.keys(css).forEach(function (k) { tr.style[k] = css[k]; });
      }
      columns.forEach(function (c) {
        var td = document.createElement("td");
        var value = row[c.field];
        var formatter = lookupFn(c.formatter);
        if (formatter) { value = formatter(value, row, index); }
        td.innerHTML = value === undefined || value === null ? "" : String(value);
        if (c.align) { td.style.textAlign = c.align; }
        tr.appendChild(td);
      });
      tr.addEventListener("click", function (ev) {
        if (ev.target && ev.target.closest && ev.target.closest("a")) { return; }
        var handlers = table._ffwClickRow || [];
        if (handlers.length) {
          handlers.forEach(function (h) { h.call(table, ev, row, $(tr)); });
        } else if (tr.getAttribute("data-href")) {
          window.location = tr.getAttribute("data-href");
        }
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);

    if (truthy(opts.search)) {
      var input = document.createElement("input");
      input.type = "search";
      input.placeholder = "Search / 搜索";
      input.className = "ffw-table-search";
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        toArray(tbody.rows).forEach(function (r) {
          r.style.display = !needle || r.textContent.toLowerCase().indexOf(needle) >= 0 ? "" : "none";
        });
      });
      var toolbar = null;
      try { toolbar = opts.toolbar ? document.querySelector(opts.toolbar) : null; } catch (e) { toolbar = null; }
      if (toolbar) { toolbar.appendChild(input); }
      else if (table.parentNode) { table.parentNode.insertBefore(input, table); }
      table._ffwReset = function () {
        input.value = "";
        input.dispatchEvent(new Event("input"));
      };
    }
  }

  Q.prototype.bootstrapTable = function (opts) {
    if (typeof opts === "string") {  // 'clearFilterControl', 'resetSearch', ...
      this.nodes.forEach(function (t) { if (t._ffwReset) { t._ffwReset(); } });
      return this;
    }
    this.nodes.forEach(function (t) { renderTable(t, opts || {}); });
    return this;
  };

  /* ---------------- Bootstrap data-toggle behaviour ---------------- */

  function targetOf(el) {
    var sel = el.getAttribute("data-target") || el.getAttribute("href");
    if (!sel || sel.charAt(0) !== "#") { return null; }
    return document.getElementById(sel.slice(1));
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-toggle]") : null;
    if (!el) { return; }
    var kind = el.getAttribute("data-toggle");
    if (kind === "collapse") {
      var target = targetOf(el);
      if (target) {
        ev.preventDefault();
        var open = target.classList.toggle("show");
        el.setAttribute("aria-expanded", open ? "true" : "false");
      }
    } else if (kind === "tab") {
      var pane = targetOf(el);
      if (!pane) { return; }
      ev.preventDefault();
      var nav = el.closest(".nav");
      if (nav) { toArray(nav.querySelectorAll(".nav-link")).forEach(function (l) { l.classList.remove("active"); l.setAttribute("aria-selected", "false"); }); }
      el.classList.add("active");
      el.setAttribute("aria-selected", "true");
      if (pane.parentNode) {
        toArray(pane.parentNode.children).forEach(function (p) { p.classList.remove("active", "show"); });
      }
      pane.classList.add("active", "show");
    } else if (kind === "buttons") {
      var label = ev.target.closest("label, .btn");
      if (label) {
        toArray(el.querySelectorAll(".btn")).forEach(function (b) { b.classList.remove("active"); });
        label.classList.add("active");
      }
    }
  });

  /* Charts (profiling pages only) need vega from a CDN: show a note instead of failing. */
  window.vegaEmbed = window.vegaEmbed || function (el) {
    var node = typeof el === "string" ? document.querySelector(el) : el;
    if (node) { node.innerHTML = '<p class="ffw-offline-note">Chart not available offline.</p>'; }
    return Promise.resolve({});
  };

  $.fn = Q.prototype;
  window.jQuery = window.$ = $;
})();
