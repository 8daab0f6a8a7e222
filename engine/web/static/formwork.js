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
      var url = picker.getAttribute("data-lookup");
      url += (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query.value.trim());
      /* a link filter's `this.` fields: send what the form holds now */
      var names = (picker.getAttribute("data-this") || "").split(",").filter(Boolean);
      if (names.length && picker.closest("form")) {
        var values = formValues(picker.closest("form"));
        names.forEach(function (name) {
          var value = values[name];
          if (value === undefined || value === null || Array.isArray(value)) return;
          url += "&this." + encodeURIComponent(name) + "=" + encodeURIComponent(String(value));
        });
      }
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

  /* ---- kanban boards: drag a card to another column (the per-card form does the same) ----
     On a board of workflow states (data-workflow) a move takes the action leading to the
     column: the answer may ask to confirm (post again with confirmed=1) or send the user to
     the record page where the action's dialog asks for the rest (422 with a url). */
  function setupBoard(board) {
    if (!board.hasAttribute("data-movable")) return;
    var workflow = board.hasAttribute("data-workflow");
    var status = document.querySelector("[data-board-status]");
    var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var dragged = null;
    function say(text, failed) {
      if (!status) return;
      status.textContent = text; status.hidden = false;
      status.classList.toggle("is-error", !!failed);
    }
    function adjust(col, delta) {
      var count = col.querySelector("[data-count]");
      count.textContent = String(Number(count.textContent) + delta);
      var empty = col.querySelector(".board-empty"); if (empty) empty.hidden = Number(count.textContent) > 0;
    }
    function setVersion(card, version) {
      if (version === undefined || version === null) return;
      card.setAttribute("data-version", String(version));
      card.querySelectorAll('input[name="_version"]').forEach(function (i) { i.value = String(version); });
    }
    function move(card, col, form, confirmed) {
      var from = card.closest(".board-col");
      if (!col || col === from) return;
      var to = col.getAttribute("data-column");
      var here = from.getAttribute("data-column");
      function putBack() { if (form) form.querySelector("select").value = here; }
      var body = new URLSearchParams();
      body.set("view", board.getAttribute("data-view")); body.set("to", to);
      body.set("_version", card.getAttribute("data-version")); body.set("csrf_token", token);
      if (workflow) body.set("from", here);
      if (confirmed) body.set("confirmed", "1");
      var url = board.getAttribute("data-move-url").replace(/\/0\/move$/, "/" + card.getAttribute("data-card") + "/move");
      card.classList.add("is-moving");
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { Accept: "application/json", "X-CSRF-Token": token } })
        .then(function (r) {
          return r.json()
            .catch(function () { return { ok: false, message: board.getAttribute("data-msg-failed") }; })
            .then(function (answer) { answer.status = r.status; return answer; });
        })
        .then(function (answer) {
          card.classList.remove("is-moving");
          if (answer.status === 422 && answer.url) {
            var needs = answer.needs || [];
            if (needs.length === 1 && needs[0] === "confirm") {
              if (window.confirm(answer.message)) { move(card, col, form, true); } else { putBack(); }
              return;
            }
            say(answer.message, true);
            window.location.assign(answer.url);  /* the record page, the action's dialog open */
            return;
          }
          if (!answer.ok) { say(answer.message, true); putBack(); return; }
          setVersion(card, answer.version);
          if (answer.state !== undefined && answer.state !== to) {
            /* one approval of several: recorded, the card stays until the step completes */
            say(answer.message, false); putBack(); return;
          }
          col.querySelector(".board-cards").prepend(card);
          card.querySelectorAll('input[name="from"]').forEach(function (i) { i.value = to; });
          var select = card.querySelector(".card-move select"); if (select) select.value = to;
          adjust(from, -1); adjust(col, 1); say(answer.message, false);
          if (workflow) card.removeAttribute("data-targets");  /* its menu is the old state's: reload for the new */
        })
        .catch(function () { card.classList.remove("is-moving"); say(board.getAttribute("data-msg-failed"), true); });
    }
    function clearMarks() {
      board.querySelectorAll(".is-over, .is-reachable").forEach(function (c) { c.classList.remove("is-over", "is-reachable"); });
    }
    board.addEventListener("dragstart", function (ev) {
      var card = ev.target.closest && ev.target.closest("[data-card]");
      if (!card || card.getAttribute("draggable") !== "true") return;
      dragged = card; card.classList.add("is-dragging");
      ev.dataTransfer.effectAllowed = "move"; ev.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
      var targets = (card.getAttribute("data-targets") || "").split(" ");
      board.querySelectorAll(".board-col").forEach(function (c) {
        if (c !== card.closest(".board-col") && targets.indexOf(c.getAttribute("data-column")) >= 0) c.classList.add("is-reachable");
      });
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging"); dragged = null;
      clearMarks();
    });
    board.addEventListener("dragover", function (ev) {
      var col = ev.target.closest && ev.target.closest(".board-col");
      if (!dragged || !col || col.getAttribute("data-column") === "") return;
      ev.preventDefault(); ev.dataTransfer.dropEffect = "move";
      board.querySelectorAll(".is-over").forEach(function (c) { if (c !== col) c.classList.remove("is-over"); });
      col.classList.add("is-over");
    });
    board.addEventListener("drop", function (ev) {
      var col = ev.target.closest && ev.target.closest(".board-col");
      if (!dragged || !col) return;
      ev.preventDefault(); clearMarks();
      move(dragged, col, null, false);
    });
    /* the per-card form: same request without a page load (it posts normally without script) */
    board.addEventListener("submit", function (ev) {
      var form = ev.target.closest(".card-move");
      if (!form) return;
      ev.preventDefault();
      var card = form.closest("[data-card]");
      var value = form.querySelector("select").value;
      var col = Array.prototype.find.call(board.querySelectorAll(".board-col"), function (c) { return c.getAttribute("data-column") === value; });
      move(card, col, form, false);
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
    document.querySelectorAll("[data-board]").forEach(setupBoard);
    document.querySelectorAll(".record-layout[data-context]").forEach(applyVisibility);
    document.querySelectorAll("form.recordform").forEach(function (form) {
      applyVisibility(form);
      form.addEventListener("input", function () { applyVisibility(form); });
      form.addEventListener("change", function () { applyVisibility(form); });
    });
  });
})();
