// Applies the rules of pacparser's tests/proxy.pac (written for pe-doctor's tests).
function FindProxyForURL(url, host) {
  var local = isPlainHostName(host) || dnsDomainIs(host, ".manugarg.com");
  if (local && !localHostOrDomainIs(host, "www.manugarg.com")) {
    return "plainhost/.manugarg.com";
  }
  if (url.indexOf("'") >= 0) return "URLHasQuotes";
  if (/.*\.externaldomain\.com/.test(host)) return "externaldomain";
  if (dnsDomainIs(host, ".google.com") && isResolvable(host)) return "isResolvable";
  if (dnsDomainIs(host, ".notresolvabledomainXXX.com") && !isResolvable(host)) {
    return "isNotResolvable";
  }
  if (url.substring(0, 8) == "https://") return "secureUrl";
  if (isInNet(myIpAddress(), "10.10.0.0", "255.255.0.0")) return "10.10.0.0";
  if (typeof myIpAddressEx == "function" && isInNetEx(myIpAddressEx(), "3ffe:8311:ffff/48")) {
    return "3ffe:8311:ffff";
  }
  return "END-OF-SCRIPT";
}
