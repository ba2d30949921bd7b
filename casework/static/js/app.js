// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Forms marked data-confirm ask before submitting (e.g. merging two people).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Ctrl+Enter (or Cmd+Enter) in a text area submits its form, as Enter does in a text box.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    var area = event.target.closest && event.target.closest("textarea");
    if (area && area.form) { event.preventDefault(); area.form.requestSubmit(); }
  });
  // Typing into a field marked data-selects="ID" checks the radio button ID (the counter
  // screen: typing a new person's name chooses "new person" instead of the one found).
  document.addEventListener("input", function (event) {
    var id = event.target.getAttribute && event.target.getAttribute("data-selects");
    var radio = id && document.getElementById(id);
    if (radio && event.target.value) { radio.checked = true; }
  });
  // "/" jumps to the page's search box, as staff expect from other tools.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.target.closest("input, textarea, select")) { return; }
    var box = document.querySelector("input[type=search]");
    if (box) { event.preventDefault(); box.focus(); }
  });
}());
