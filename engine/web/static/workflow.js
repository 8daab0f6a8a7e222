/* Workflow dialogs on the record page: an action button opens its <dialog> (without
   script the button is a link that renders the dialog open); a refused action comes back
   with its dialog open (`data-reopen`) holding what was typed. */
(function () {
  "use strict";

  function openModal(dialog) {
    if (typeof dialog.showModal !== "function") { dialog.setAttribute("open", ""); return; }
    if (dialog.open) dialog.close();
    dialog.setAttribute("data-modal", "");
    dialog.showModal();
    var first = dialog.querySelector("[aria-invalid=true]") ||
      dialog.querySelector("textarea, input:not([type=hidden]), select, button[type=submit]");
    if (first) first.focus();
  }

  /* a diagram wider than the screen scrolls so the current state is in view */
  function centreCurrent(wrap) {
    var current = wrap.querySelector(".wf-current");
    if (!current || wrap.scrollWidth <= wrap.clientWidth) return;
    var box = current.getBoundingClientRect(), frame = wrap.getBoundingClientRect();
    wrap.scrollLeft += box.left - frame.left - (frame.width - box.width) / 2;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".wf-diagram-wrap").forEach(centreCurrent);
    document.querySelectorAll("[data-dialog]").forEach(function (button) {
      button.addEventListener("click", function (ev) {
        var dialog = document.getElementById(button.getAttribute("data-dialog"));
        if (!dialog) return;
        ev.preventDefault();
        openModal(dialog);
      });
    });
    document.querySelectorAll("dialog.wf-dialog").forEach(function (dialog) {
      dialog.querySelectorAll("[data-close]").forEach(function (close) {
        close.addEventListener("click", function (ev) { ev.preventDefault(); dialog.close(); });
      });
      /* a click on the backdrop closes it too */
      dialog.addEventListener("click", function (ev) { if (ev.target === dialog) dialog.close(); });
      dialog.querySelector("form").addEventListener("submit", function (ev) {
        var button = dialog.querySelector("button[type=submit]");
        if (button.disabled) { ev.preventDefault(); return; }
        button.disabled = true; /* one submit per click: a double click must not act twice */
      });
      if (dialog.hasAttribute("data-reopen")) openModal(dialog);
    });
  });
})();
