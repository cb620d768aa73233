// Passkeys (docs/passkeys.md): the browser half of the WebAuthn ceremonies. The server draws
// every challenge and checks every answer; this script only carries them between the page
// and navigator.credentials, and posts the answer with the page's own form. Without it (or
// without WebAuthn) the passkey controls stay hidden and every page works as before.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  // base64url <-> bytes: the options carry binary fields as base64url text.
  function bytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out.buffer;
  }
  function text(buffer) {
    var view = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < view.length; i++) {
      raw += String.fromCharCode(view[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    (list || []).forEach(function (c) { c.id = bytes(c.id); });
  }

  function creation(options) {
    var p = options.publicKey;
    p.challenge = bytes(p.challenge);
    p.user.id = bytes(p.user.id);
    ids(p.excludeCredentials);
    return { publicKey: p };
  }
  function request(options) {
    var p = options.publicKey;
    p.challenge = bytes(p.challenge);
    ids(p.allowCredentials);
    return { publicKey: p };
  }

  function registered(cred) {
    var r = cred.response;
    return JSON.stringify({
      id: cred.id,
      rawId: text(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: text(r.attestationObject),
        clientDataJSON: text(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined
      },
      extensions: cred.getClientExtensionResults()
    });
  }
  function asserted(cred) {
    var r = cred.response;
    return JSON.stringify({
      id: cred.id,
      rawId: text(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: text(r.authenticatorData),
        clientDataJSON: text(r.clientDataJSON),
        signature: text(r.signature),
        userHandle: r.userHandle ? text(r.userHandle) : null
      },
      extensions: cred.getClientExtensionResults()
    });
  }

  // The answer goes into the form's hidden field and the form is posted as usual.
  function submit(form, answer) {
    form.querySelector("input[name=credential]").value = answer;
    form.submit();
  }
  function failed(form) {
    var note = document.getElementById("passkey-error");
    if (note) {
      // An alert only once there is something to say (a hidden one would be read as an error).
      note.setAttribute("role", "alert");
      note.hidden = false;
    }
  }

  document.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = false; });

  // Registering (account page): the form carries the options; its button starts the ceremony.
  var add = document.getElementById("passkey-add");
  if (add) {
    add.addEventListener("submit", function (event) {
      if (add.querySelector("input[name=credential]").value) {
        return;
      }
      event.preventDefault();
      navigator.credentials.create(creation(JSON.parse(add.dataset.options)))
        .then(function (cred) { submit(add, registered(cred)); })
        .catch(function () { failed(add); });
    });
  }

  // The second step of a login: one of the user's passkeys answers the page's challenge.
  var verify = document.getElementById("passkey-verify");
  if (verify) {
    verify.addEventListener("submit", function (event) {
      event.preventDefault();
      // "Trust this browser" is the code form's box; the passkey form carries its state.
      var box = document.querySelector("input[type=checkbox][name=remember]");
      verify.querySelector("input[name=remember]").value = box && box.checked ? "1" : "";
      navigator.credentials.get(request(JSON.parse(verify.dataset.options)))
        .then(function (cred) { submit(verify, asserted(cred)); })
        .catch(function () { failed(verify); });
    });
  }

  // Signing in with a passkey alone: a challenge is fetched for each attempt (it lives two
  // minutes); autofill in the username field (conditional mediation) where the browser has it.
  var signIn = document.getElementById("passkey-sign-in");
  if (!signIn) {
    return;
  }
  var pending = null;
  var modal = false;
  function challenge() {
    var body = new URLSearchParams();
    body.set("csrf", signIn.querySelector("input[name=csrf]").value);
    return fetch(signIn.dataset.optionsUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("no challenge");
        }
        return resp.json();
      });
  }
  function ask(mediation) {
    if (pending) {
      pending.abort();
    }
    var controller = new AbortController();
    pending = controller;
    return challenge().then(function (c) {
      signIn.querySelector("input[name=ceremony]").value = c.ceremony;
      var options = request(c.options);
      options.signal = controller.signal;
      if (mediation) {
        options.mediation = mediation;
      }
      return navigator.credentials.get(options);
    }).then(function (cred) {
      submit(signIn, asserted(cred));
    });
  }
  signIn.addEventListener("submit", function (event) {
    event.preventDefault();
    modal = true;
    ask(null).catch(function (e) {
      if (!e || e.name !== "AbortError") {
        failed(signIn);
      }
    });
  });
  if (PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
      if (!yes) {
        return;
      }
      // Renewed before the challenge's two minutes run out.
      var offer = function () {
        if (modal) {
          return;
        }
        ask("conditional").catch(function () {});
      };
      offer();
      setInterval(offer, 100000);
    });
  }
})();
