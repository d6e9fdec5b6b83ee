/* Phalanx WebAuthn helper, served at /.well-known/ory/webauthn.js.
 *
 * Defines the global trigger functions that flow UI nodes name in their onclick/onload
 * (and onclickTrigger/onloadTrigger) attributes:
 *   oryWebAuthnLogin(options?)        webauthn_login_trigger    -> webauthn_login
 *   oryWebAuthnRegistration(options?) webauthn_register_trigger -> webauthn_register
 *   oryPasskeyLogin()                 passkey_challenge         -> passkey_login
 *   oryPasskeyLoginAutocompleteInit() passkey_challenge         -> passkey_login (conditional UI)
 *   oryPasskeyRegistration()          passkey_create_data       -> passkey_register
 *   oryPasskeySettingsRegistration()  passkey_create_data       -> passkey_settings_register
 * plus the same names prefixed with "__", then dispatches "oryWebAuthnInitialized".
 * Each function runs the browser ceremony, writes the credential as JSON (base64url
 * fields) into the result input and submits that input's form.
 */
(function () {
  "use strict";

  if (typeof window === "undefined" || window.__oryWebAuthnInitialized) {
    return;
  }

  function supported() {
    return typeof window.PublicKeyCredential !== "undefined" && !!navigator.credentials;
  }

  function fromB64url(text) {
    var b64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function toB64url(buffer) {
    if (!buffer) {
      return "";
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function field(name) {
    return document.getElementsByName(name)[0] || null;
  }

  function parseOptions(value) {
    var options = typeof value === "string" ? JSON.parse(value) : value;
    return JSON.parse(JSON.stringify(options)); // never mutate the caller's object
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (descriptor) {
      var copy = Object.assign({}, descriptor);
      copy.id = fromB64url(descriptor.id);
      return copy;
    });
  }

  function creationOptions(options) {
    var pk = options.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    if (pk.excludeCredentials) {
      pk.excludeCredentials = decodeDescriptors(pk.excludeCredentials);
    }
    return options;
  }

  function requestOptions(options) {
    var pk = options.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    if (pk.allowCredentials) {
      pk.allowCredentials = decodeDescriptors(pk.allowCredentials);
    }
    if (pk.user && pk.user.id) {
      delete pk.user;
    }
    return options;
  }

  function attestationJSON(credential) {
    return JSON.stringify({
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toB64url(credential.response.attestationObject),
        clientDataJSON: toB64url(credential.response.clientDataJSON),
      },
    });
  }

  function assertionJSON(credential) {
    return JSON.stringify({
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toB64url(credential.response.authenticatorData),
        clientDataJSON: toB64url(credential.response.clientDataJSON),
        signature: toB64url(credential.response.signature),
        userHandle: toB64url(credential.response.userHandle),
      },
    });
  }

  function deliver(resultEl, json) {
    resultEl.value = json;
    var form = resultEl.form || resultEl.closest("form");
    if (form) {
      form.submit();
    }
  }

  function report(error) {
    if (window.console) {
      console.error("[webauthn]", error);
    }
  }

  var conditional = null;

  function cancelConditional() {
    if (conditional) {
      conditional.abort();
      conditional = null;
    }
  }

  function oryWebAuthnLogin(options, resultSelector, triggerSelector) {
    var resultEl = document.querySelector(resultSelector || '[name="webauthn_login"]');
    var triggerEl = document.querySelector(triggerSelector || '[name="webauthn_login_trigger"]');
    if (!supported() || !resultEl) {
      report("WebAuthn is not available");
      return;
    }
    var opts = requestOptions(parseOptions(options || (triggerEl && triggerEl.value)));
    cancelConditional();
    return navigator.credentials
      .get(opts)
      .then(function (credential) {
        deliver(resultEl, assertionJSON(credential));
      })
      .catch(report);
  }

  function oryWebAuthnRegistration(options, resultSelector, triggerSelector) {
    var resultEl = document.querySelector(resultSelector || '[name="webauthn_register"]');
    var triggerEl = document.querySelector(triggerSelector || '[name="webauthn_register_trigger"]');
    if (!supported() || !resultEl) {
      report("WebAuthn is not available");
      return;
    }
    var opts = creationOptions(parseOptions(options || (triggerEl && triggerEl.value)));
    return navigator.credentials
      .create(opts)
      .then(function (credential) {
        deliver(resultEl, attestationJSON(credential));
      })
      .catch(report);
  }

  function oryPasskeyLogin() {
    var dataEl = field("passkey_challenge");
    var resultEl = field("passkey_login");
    if (!supported() || !dataEl || !resultEl) {
      report("passkey login is not available");
      return;
    }
    cancelConditional();
    var opts = requestOptions(parseOptions(dataEl.value));
    return navigator.credentials
      .get({ publicKey: opts.publicKey })
      .then(function (credential) {
        deliver(resultEl, assertionJSON(credential));
      })
      .catch(function (error) {
        report(error);
        return oryPasskeyLoginAutocompleteInit();
      });
  }

  function oryPasskeyLoginAutocompleteInit() {
    var dataEl = field("passkey_challenge");
    var resultEl = field("passkey_login");
    if (!supported() || !dataEl || !resultEl || !field("identifier")) {
      return Promise.resolve();
    }
    var check = window.PublicKeyCredential.isConditionalMediationAvailable;
    if (typeof check !== "function") {
      return Promise.resolve();
    }
    return check.call(window.PublicKeyCredential).then(function (available) {
      if (!available) {
        return;
      }
      cancelConditional();
      conditional = new AbortController();
      var opts = requestOptions(parseOptions(dataEl.value));
      return navigator.credentials
        .get({ publicKey: opts.publicKey, mediation: "conditional", signal: conditional.signal })
        .then(function (credential) {
          deliver(resultEl, assertionJSON(credential));
        })
        .catch(function () {
          /* aborted or dismissed: the button still works */
        });
    });
  }

  function passkeyCreate(resultName, displayNameFrom) {
    var dataEl = field("passkey_create_data");
    var resultEl = field(resultName);
    if (!supported() || !dataEl || !resultEl) {
      report("passkey registration is not available");
      return;
    }
    var data = parseOptions(dataEl.value);
    var opts = data.credentialOptions || data;
    if (displayNameFrom && data.displayNameFieldName) {
      var form = dataEl.form || dataEl.closest("form");
      var nameEl = form && form.querySelector('[name="' + data.displayNameFieldName + '"]');
      if (nameEl && nameEl.value) {
        opts.publicKey.user.name = nameEl.value;
        opts.publicKey.user.displayName = nameEl.value;
      }
    }
    return navigator.credentials
      .create(creationOptions(opts))
      .then(function (credential) {
        deliver(resultEl, attestationJSON(credential));
      })
      .catch(report);
  }

  function oryPasskeyRegistration() {
    return passkeyCreate("passkey_register", true);
  }

  function oryPasskeySettingsRegistration() {
    return passkeyCreate("passkey_settings_register", false);
  }

  var api = {
    oryWebAuthnLogin: oryWebAuthnLogin,
    oryWebAuthnRegistration: oryWebAuthnRegistration,
    oryPasskeyLogin: oryPasskeyLogin,
    oryPasskeyLoginAutocompleteInit: oryPasskeyLoginAutocompleteInit,
    oryPasskeyRegistration: oryPasskeyRegistration,
    oryPasskeySettingsRegistration: oryPasskeySettingsRegistration,
  };
  Object.keys(api).forEach(function (name) {
    window[name] = api[name];
    window["__" + name] = api[name];
  });
  window.__oryWebAuthnInitialized = true;
  window.dispatchEvent(new CustomEvent("oryWebAuthnInitialized"));
})();
