/* Formwork UI behaviour — our own small script, no dependencies.
   Everything here is an enhancement: without it the pages still work (the server checks
   visibility, lookups fall back to typing ids, forms post normally). */
(function () {
  "use strict";

  /* ---- visible_if: evaluate the compiled condition trees (engine/web/ui/visibility.py) ---- */
  function toNumber(value) {
    if (typeof value === "number") return value;
    if (typeof value !== "string") return null;
    var text = value.trim();
    var percent = text.endsWith("%");
    if (percent) text = text.slice(0, -1);
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return null;
    return percent ? Number(text) / 100 : Number(text);
  }
  function blank(value) {
    return value === null || value === undefined || value === "" ||
      (Array.isArray(value) && value.length === 0);
  }
  function compare(op, a, b) {
    if (blank(a) || blank(b)) return null; /* NULL behaves as in SQL */
    var na = toNumber(a), nb = toNumber(b);
    if (na !== null && nb !== null && (typeof a === "number" || typeof b === "number")) { a = na; b = nb; }
    if (typeof a === "boolean" || typeof b === "boolean") { a = String(a); b = String(b); }
    switch (op) {
      case "==": return a == b; case "!=": return a != b;
      case "<": return a < b; case "<=": return a <= b;
      case ">": return a > b; case ">=": return a >= b;
    }
    return null;
  }
  function arith(op, a, b) {
    if (blank(a) || blank(b)) return null;
    if (op === "concat") return String(a) + String(b);
    var x = toNumber(a), y = toNumber(b);
    if (x === null || y === null) return null;
    switch (op) {
      case "+": return x + y; case "-": return x - y; case "*": return x * y;
      case "/": return y === 0 ? null : x / y; case "%": return y === 0 ? null : x % y;
    }
    return null;
  }
  function evaluate(node, values) {
    switch (node[0]) {
      case "lit": return node[1];
      case "field": return values[node[1]];
      case "not": { var v = evaluate(node[1], values); return v === null ? null : !v; }
      case "neg": { var n = toNumber(evaluate(node[1], values)); return n === null ? null : -n; }
      case "and": {
        var unknown = false;
        for (var i = 1; i < node.length; i++) {
          var a = evaluate(node[i], values);
          if (a === false) return false; if (a === null || a === undefined) unknown = true;
        }
        return unknown ? null : true;
      }
      case "or": {
        var unk = false;
        for (var j = 1; j < node.length; j++) {
          var o = evaluate(node[j], values);
          if (o === true) return true; if (o === null || o === undefined) unk = true;
        }
        return unk ? null : false;
      }
      case "cmp": return compare(node[1], evaluate(node[2], values), evaluate(node[3], values));
      case "arith": return arith(node[1], evaluate(node[2], values), evaluate(node[3], values));
      case "in": {
        var item = evaluate(node[2], values);
        if (blank(item)) return null;
        var found = node[3].some(function (o) { return compare("==", item, evaluate(o, values)) === true; });
        return node[1] ? !found : found;
      }
      case "null": { var b = blank(evaluate(node[2], values)); return node[1] ? !b : b; }
      case "if": return evaluate(node[1], values) === true ? evaluate(node[2], values) : evaluate(node[3], values);
    }
    return null;
  }
  function formValues(form) {
    var values = {};
    try { values = JSON.parse(form.getAttribute("data-context") || "{}"); } catch (e) { values = {}; }
    Array.prototype.forEach.call(form.elements || [], function (el) {
      if (!el.name || el.name.indexOf("-") !== -1 || el.type === "file" || el.name.charAt(0) === "_") return;
      if (el.type === "checkbox") {
        var list = form.querySelectorAll('input[type=checkbox][name="' + el.name + '"]');
        if (list.length > 1) {
          values[el.name] = Array.prototype.filter.call(list, function (c) { return c.checked; }).map(function (c) { return c.value; });
        } else { values[el.name] = el.checked; }
      } else if (el.type === "radio") {
        if (el.checked) values[el.name] = el.value;
        else if (!(el.name in values)) values[el.name] = null;
      } else if (el.multiple) {
        values[el.name] = Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; });
      } else { values[el.name] = el.value; }
    });
    return values;
  }
  function applyVisibility(form) {
    var values = formValues(form);
    form.querySelectorAll("[data-visible-if]").forEach(function (el) {
      var rule; try { rule = JSON.parse(el.getAttribute("data-visible-if")); } catch (e) { return; }
      el.hidden = evaluate(rule, values) !== true;
    });
  }

  /* ---- searchable pickers (user and link fields) ---- */
  function setupPicker(picker) {
    var hidden = picker.querySelector(".picker-value");
    var query = picker.querySelector(".picker-query");
    var list = picker.querySelector(".picker-options");
    var timer = null, active = -1, items = [], asked = 0;
    function close() { list.hidden = true; query.setAttribute("aria-expanded", "false"); active = -1; }
    function choose(item) {
      clearTimeout(timer); asked += 1; /* answers still on their way are stale now */
      hidden.value = item.value; query.value = item.label; close();
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.setAttribute("role", "option"); li.id = query.id + "-opt-" + index;
        li.textContent = item.label;
        li.setAttribute("aria-selected", index === active ? "true" : "false");
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(item); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      query.setAttribute("aria-expanded", items.length ? "true" : "false");
    }
    function search() {
      var ticket = ++asked;
      var url = picker.getAttribute("data-lookup") + "?q=" + encodeURIComponent(query.value.trim());
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (found) {
          /* only the latest question counts, and only while the user is still here */
          if (ticket !== asked || document.activeElement !== query) return;
          items = found; active = -1; render();
        })
        .catch(function () { items = []; render(); });
    }
    query.addEventListener("input", function () {
      if (!query.value.trim()) hidden.value = "";
      clearTimeout(timer); timer = setTimeout(search, 180);
    });
    query.addEventListener("focus", search);
    query.addEventListener("blur", function () { asked += 1; setTimeout(close, 120); });
    query.addEventListener("keydown", function (ev) {
      if (list.hidden) return;
      if (ev.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); render(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { active = Math.max(0, active - 1); render(); ev.preventDefault(); }
      else if (ev.key === "Enter" && active >= 0) { choose(items[active]); ev.preventDefault(); }
      else if (ev.key === "Escape") { close(); }
    });
  }

  /* ---- subform rows added and removed in the browser ---- */
  function setupSubform(box) {
    var tbody = box.querySelector("tbody");
    var template = box.querySelector("template");
    var name = box.getAttribute("data-subform");
    function nextIndex() {
      var highest = -1;
      box.querySelectorAll("[name^='" + name + "-']").forEach(function (el) {
        var match = el.name.slice(name.length + 1).match(/^(\d+)-/);
        if (match) highest = Math.max(highest, Number(match[1]));
      });
      return highest + 1;
    }
    box.querySelector("[data-add-row]").addEventListener("click", function () {
      var row = document.createElement("tr");
      row.innerHTML = template.innerHTML.replace(/__index__/g, String(nextIndex()));
      tbody.appendChild(row);
      var first = row.querySelector("input, select, textarea"); if (first) first.focus();
    });
    box.addEventListener("click", function (ev) {
      var button = ev.target.closest("[data-remove-row]");
      if (button) button.closest("tr").remove();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    document.querySelectorAll(".picker").forEach(setupPicker);
    document.querySelectorAll("[data-subform]").forEach(setupSubform);
    document.querySelectorAll(".record-layout[data-context]").forEach(applyVisibility);
    document.querySelectorAll("form.recordform").forEach(function (form) {
      applyVisibility(form);
      form.addEventListener("input", function () { applyVisibility(form); });
      form.addEventListener("change", function () { applyVisibility(form); });
    });
  });
})();
