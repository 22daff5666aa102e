"use strict";
// A strict-mode script: `this` at the top level is the global object (a script, not a
// function body), and Chromium calls FindProxyForURL with the global object as `this`.
var topThis = this;
function FindProxyForURL(url, host) {
  if (host === "top-this") return topThis === globalThis ? "global" : String(topThis);
  if (host === "call-this") return this === globalThis ? "global" : String(this);
  if (host === "undeclared") {
    try {
      notDeclared = 1;
      return "sloppy";
    } catch (e) {
      return e.name;
    }
  }
  return host;
}
