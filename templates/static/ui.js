// Small comforts for portal pages; each page works the same without scripts.
// Served from the portal itself, so the CSP's script-src 'self' allows it; no inline script.

// A "Show" button after every password field: the field turns to plain text while pressed.
document.querySelectorAll("input[type=password]").forEach(function (field) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "reveal secondary";
  button.textContent = "Show";
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", field.id);
  var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : "password";
  button.setAttribute("aria-label", "Show " + label.toLowerCase());
  button.addEventListener("click", function () {
    var shown = field.type === "password";
    field.type = shown ? "text" : "password";
    button.textContent = shown ? "Hide" : "Show";
    button.setAttribute("aria-pressed", shown ? "true" : "false");
  });
  field.insertAdjacentElement("afterend", button);
});

// Times in the browser's own time zone ("3 minutes ago" for the last hour); the UTC time the
// server wrote stays in the title.
document.querySelectorAll("time[datetime]").forEach(function (el) {
  var when = new Date(el.getAttribute("datetime"));
  if (isNaN(when.getTime())) {
    return;
  }
  el.title = el.textContent;
  var minutes = Math.round((Date.now() - when.getTime()) / 60000);
  if (minutes >= 0 && minutes < 60) {
    el.textContent = minutes < 1 ? "just now" : minutes + (minutes === 1 ? " minute ago" : " minutes ago");
  } else {
    el.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
});
