/* Binds the WebAuthn triggers of the built-in UI to the functions webauthn.js defines.
 * Buttons carry data-trigger (the node's onclickTrigger), hidden inputs data-onload-trigger
 * (onloadTrigger); no inline handlers, so the page's CSP needs no 'unsafe-inline'. */
(function () {
  "use strict";

  function call(name) {
    var fn = name && window[name];
    if (typeof fn === "function") {
      fn();
    }
  }

  function whenReady(run) {
    if (window.__oryWebAuthnInitialized) {
      run();
    } else {
      window.addEventListener("oryWebAuthnInitialized", run, { once: true });
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-trigger]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    call(button.getAttribute("data-trigger"));
  });

  whenReady(function () {
    var inputs = document.querySelectorAll("input[data-onload-trigger]");
    for (var i = 0; i < inputs.length; i++) {
      call(inputs[i].getAttribute("data-onload-trigger"));
    }
  });
})();
