// "Copy" buttons: shown only when scripts run (the text stays selectable without them).
// Served from the portal itself, so the CSP's script-src 'self' allows it; no inline script.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      button.textContent = button.dataset.copied || "Copied";
    });
  });
});
