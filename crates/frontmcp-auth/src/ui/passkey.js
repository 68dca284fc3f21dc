// Runs the WebAuthn ceremony of the passkey page: reads the server's options, asks the
// browser's authenticator, and posts the credential back in the page's form.
(function () {
  "use strict";
  var form = document.getElementById("passkey-form");
  var button = document.getElementById("passkey-go");
  var output = document.getElementById("passkey-credential");
  var errorBox = document.getElementById("passkey-error");
  if (!form || !button || !output) { return; }
  var options = JSON.parse(document.getElementById("passkey-options").textContent);
  var mode = form.getAttribute("data-mode");

  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }
  function toB64url(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function show(message) {
    if (errorBox) { errorBox.textContent = message; errorBox.hidden = false; }
  }
  function submit(action, credential) {
    output.value = JSON.stringify(credential);
    var field = document.createElement("input");
    field.type = "hidden"; field.name = "action"; field.value = action;
    form.appendChild(field);
    form.submit();
  }

  button.addEventListener("click", function () {
    var key = options.publicKey;
    key.challenge = fromB64url(key.challenge);
    if (mode === "register") {
      key.user.id = fromB64url(key.user.id);
      (key.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      navigator.credentials.create({ publicKey: key }).then(function (cred) {
        submit("register", {
          id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
          extensions: cred.getClientExtensionResults(),
          response: {
            attestationObject: toB64url(cred.response.attestationObject),
            clientDataJSON: toB64url(cred.response.clientDataJSON)
          }
        });
      }).catch(function (e) { show("No passkey was added: " + e.name); });
    } else {
      (key.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      navigator.credentials.get({ publicKey: key }).then(function (cred) {
        submit("authenticate", {
          id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
          extensions: cred.getClientExtensionResults(),
          response: {
            authenticatorData: toB64url(cred.response.authenticatorData),
            clientDataJSON: toB64url(cred.response.clientDataJSON),
            signature: toB64url(cred.response.signature),
            userHandle: toB64url(cred.response.userHandle)
          }
        });
      }).catch(function (e) { show("The passkey was not used: " + e.name); });
    }
  });
})();
