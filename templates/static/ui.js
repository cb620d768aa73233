// Small comforts for portal pages; each page works the same without scripts.
// Served from the portal itself, so the CSP's script-src 'self' allows it; no inline script.

// The page's language and its words for the buttons (from the message catalog, on <body>).
var lang = document.documentElement.lang || undefined;
var words = document.body.dataset;

// A "Show" button after every password field: the field turns to plain text while pressed.
document.querySelectorAll("input[type=password]").forEach(function (field) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "reveal secondary";
  button.textContent = words.show || "Show";
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", field.id);
  var label = field.labels && field.labels[0] ? field.labels[0].textContent.trim() : "";
  button.setAttribute("aria-label", (words.showField || "Show {field}").replace("{field}", label));
  button.addEventListener("click", function () {
    var shown = field.type === "password";
    field.type = shown ? "text" : "password";
    button.textContent = shown ? (words.hide || "Hide") : (words.show || "Show");
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
  if (minutes >= 0 && minutes < 60 && window.Intl && Intl.RelativeTimeFormat) {
    el.textContent = new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(-minutes, "minute");
  } else {
    el.textContent = when.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
  }
});
