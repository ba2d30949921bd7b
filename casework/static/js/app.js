// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Forms marked data-confirm ask before submitting (e.g. merging two people).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // "/" jumps to the page's search box, as staff expect from other tools.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.target.closest("input, textarea, select")) { return; }
    var box = document.querySelector("input[type=search]");
    if (box) { event.preventDefault(); box.focus(); }
  });
}());
