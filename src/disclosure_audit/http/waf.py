"""Solves 加速乐 (JiaSuLe) anti-bot challenges by running the page's own scripts in a sandboxed V8."""

from __future__ import annotations

import logging
import re

from disclosure_audit.http.errors import ChallengeError
from disclosure_audit.sandbox import (
    MAX_TIMERS,
    SandboxError,
    extract_scripts,
    first_line,
    location_of,
    run_scripts,
)

logger = logging.getLogger(__name__)

__all__ = ["ChallengeError", "extract_scripts", "solve_challenge"]

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; disclosure-audit)"

# The browser the page believes it runs in, and nothing else. Everything it records lives in a closure
# reachable only through a non-writable global, so the page can neither read it nor replace it.
# mini-racer's own setTimeout (a real delay on a background loop) is replaced: the challenge's delay
# is a courtesy wait for humans, and the solve must finish inside one bounded eval.
_SHIM = r"""
(function (g, cfg) {
  var cookies = [], hrefs = [], errors = [], timers = [], seq = 0, reloads = 0;
  var stringify = JSON.stringify;  // kept before the page can replace it
  function define(obj, name, desc) {
    desc.configurable = false; desc.enumerable = true;
    Object.defineProperty(obj, name, desc);
  }
  function record(v) { hrefs.push(String(v)); }
  var loc = {};
  define(loc, 'href', {get: function () { return cfg.href; }, set: record});
  ['protocol', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'].forEach(function (k) {
    define(loc, k, {get: function () { return cfg[k]; }, set: function () {}});
  });
  loc.reload = function () { reloads++; };
  loc.replace = record;
  loc.assign = record;
  loc.toString = function () { return cfg.href; };
  var doc = {};
  define(doc, 'cookie', {
    get: function () { return cookies.map(function (c) { return c.split(';')[0]; }).join('; '); },
    set: function (v) { cookies.push(String(v)); }
  });
  define(doc, 'location', {get: function () { return loc; }, set: record});
  doc.referrer = '';
  doc.URL = cfg.href;
  var nav = {userAgent: cfg.userAgent, language: 'zh-CN', languages: ['zh-CN', 'zh'],
             platform: 'Win32', cookieEnabled: true, webdriver: false};
  function later(args) {
    var id = ++seq;
    timers.push({id: id, fn: args[0], ms: Number(args[1]) || 0, args: Array.prototype.slice.call(args, 2)});
    return id;
  }
  function clear(id) { timers = timers.filter(function (t) { return t.id !== id; }); }
  define(g, 'window', {value: g}); define(g, 'self', {value: g});
  define(g, 'top', {value: g}); define(g, 'parent', {value: g});
  define(g, 'document', {value: doc});
  define(g, 'location', {get: function () { return loc; }, set: record});
  define(g, 'navigator', {value: nav});
  // An interval fires once: enough for a page that polls until its cookie is set.
  g.setTimeout = function () { return later(arguments); };
  g.setInterval = function () { return later(arguments); };
  g.clearTimeout = clear;
  g.clearInterval = clear;
  define(g, '__da_drain', {value: function () {
    for (var n = 0; timers.length && n < cfg.maxTimers; n++) {
      // Earliest deadline first, as a browser would fire them, only without the wait.
      timers.sort(function (a, b) { return a.ms - b.ms || a.id - b.id; });
      var t = timers.shift();
      try {
        if (typeof t.fn === 'function') { t.fn.apply(g, t.args); } else { (0, eval)(String(t.fn)); }
      } catch (e) { errors.push(String(e && e.stack || e)); }
    }
    return timers.length;
  }});
  define(g, '__da_result', {value: function () {
    return stringify({cookies: cookies, hrefs: hrefs, reloads: reloads, errors: errors});
  }});
})(this, %s);
"""


def parse_cookie_assignments(assignments: list[str]) -> dict[str, str]:
    """`document.cookie = "name=value; max-age=..; path=/"` strings to {name: value}; attributes ignored."""
    cookies: dict[str, str] = {}
    for assignment in assignments:
        pair = assignment.split(";", 1)[0]
        name, sep, value = pair.partition("=")
        name = name.strip()
        if sep and name:
            cookies[name] = value.strip()
    return cookies


# What a browser keeps at most (RFC 6265 §6.1 asks for at least 4096 bytes a cookie, 50 a domain).
MAX_COOKIE_BYTES = 4096
MAX_COOKIES = 50
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an RFC 6265 token
_COOKIE_VALUE = re.compile(r"^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$")  # cookie-octets, no quotes


def _unsendable_cookie(cookies: dict[str, str]) -> str | None:
    """Why these cookies cannot go into a Cookie header (CR/LF, controls, too many, too big), or None."""
    if len(cookies) > MAX_COOKIES:
        return f"{len(cookies)} cookies, at most {MAX_COOKIES} are kept"
    for name, value in cookies.items():
        shown = repr(name)[:40]
        if not _COOKIE_NAME.match(name):
            return f"the name {shown} is not a cookie token (control characters, spaces or separators)"
        if not _COOKIE_VALUE.match(value.removeprefix('"').removesuffix('"')):
            return f"the value of {shown} holds characters a cookie may not carry (CR, LF, controls, ';', ',')"
        if len(name.encode()) + len(value.encode()) > MAX_COOKIE_BYTES:
            return f"{shown} is {len(value.encode())} bytes, more than the {MAX_COOKIE_BYTES} a browser keeps"
    return None


def solve_challenge(
    html: str,
    url: str,
    *,
    timeout_ms: int = 2000,
    max_memory_mb: int = 64,
    user_agent: str = DEFAULT_USER_AGENT,
) -> dict[str, str]:
    """Run a challenge page's scripts as a browser would and return the cookies they set.

    The scripts run in a fresh V8 isolate per call with no network, file or process access (mini-racer
    has none to give), inside `timeout_ms` for the whole solve and `max_memory_mb` of heap. The page gets
    only `window`, `document.cookie`, `location` and `navigator`; setTimeout callbacks run right after the
    scripts, without their delay. Raises ChallengeError saying what failed.
    """
    scripts = extract_scripts(html)
    if not scripts:
        raise ChallengeError(url, "the page has no inline <script> to run")
    config = dict(location_of(url), userAgent=user_agent, maxTimers=MAX_TIMERS)
    try:
        raw, script_errors, left_over = run_scripts(
            scripts, _SHIM, config, timeout_ms=timeout_ms, max_memory_mb=max_memory_mb
        )
        outcome = _outcome(raw)
    except SandboxError as exc:
        raise ChallengeError(url, exc.reason) from exc
    script_errors.extend(first_line(e) for e in outcome["errors"])
    cookies = parse_cookie_assignments(outcome["cookies"])
    bad = _unsendable_cookie(cookies)
    if bad:
        raise ChallengeError(url, f"its script set a cookie that cannot be sent: {bad}")
    if not cookies:
        detail = f"; script error: {script_errors[0]}" if script_errors else ""
        pending = f"; {left_over} timers still pending" if left_over else ""
        raise ChallengeError(url, f"its script set no cookie{detail}{pending}")
    if script_errors:
        logger.debug("challenge at %s set cookies despite script errors: %s", url, script_errors)
    logger.debug("challenge at %s set %s, navigates to %s", url, sorted(cookies), outcome["hrefs"])
    return cookies


def _outcome(raw: dict) -> dict[str, list[str]]:
    """The shim's report, checked: a page that tampered with built-ins must not crash the caller."""
    try:
        return {key: [str(v) for v in raw[key]] for key in ("cookies", "hrefs", "errors")}
    except (TypeError, KeyError) as exc:
        raise SandboxError(f"the sandbox's report was unreadable: {exc}", "failed") from exc
