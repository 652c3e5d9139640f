"""Solves 加速乐 (JiaSuLe) anti-bot challenges by running the page's own scripts in a sandboxed V8."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from urllib.parse import urlsplit

from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from disclosure_audit.http.errors import ChallengeError

logger = logging.getLogger(__name__)

__all__ = ["ChallengeError", "extract_scripts", "solve_challenge"]

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; disclosure-audit)"
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_SRC_ATTR = re.compile(r"\bsrc\s*=", re.I)
_TYPE_ATTR = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"", "text/javascript", "application/javascript", "application/x-javascript", "module"}
# Timer callbacks run after the page's scripts; a script that keeps re-arming itself stops here.
_MAX_TIMERS = 1000

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


def extract_scripts(html: str) -> list[str]:
    """The inline JavaScript of a page, in document order; external (src=) and non-JS scripts are skipped."""
    scripts = []
    for attrs, body in _SCRIPT.findall(html):
        if _SRC_ATTR.search(attrs):
            continue  # an external script would need a network fetch, which the sandbox does not have
        kind = _TYPE_ATTR.search(attrs)
        if kind and kind.group(1).lower() not in _JS_TYPES:
            continue
        if body.strip():
            scripts.append(body)
    return scripts


def _location(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return {
        "href": url,
        "protocol": f"{parts.scheme}:",
        "host": host,
        "hostname": parts.hostname or "",
        "port": str(parts.port or ""),
        "pathname": parts.path or "/",
        "search": f"?{parts.query}" if parts.query else "",
        "hash": f"#{parts.fragment}" if parts.fragment else "",
        "origin": f"{parts.scheme}://{host}",
    }


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
    deadline = time.monotonic() + timeout_ms / 1000
    config = dict(_location(url), userAgent=user_agent, maxTimers=_MAX_TIMERS)
    script_errors: list[str] = []

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise JSTimeoutException
        return left

    ctx = MiniRacer()
    try:
        ctx.set_hard_memory_limit(max_memory_mb * 1024 * 1024)
        ctx.eval(_SHIM % json.dumps(config), timeout_sec=remaining())
        for script in scripts:
            try:
                ctx.eval(script, timeout_sec=remaining())
            except (JSTimeoutException, JSOOMException):
                raise
            except JSEvalException as exc:
                # A browser goes on with the next script after an error, and keeps cookies already set.
                script_errors.append(_first_line(str(exc)))
        left_over = ctx.eval("__da_drain()", timeout_sec=remaining())
        outcome = _outcome(ctx.eval("__da_result()", timeout_sec=remaining()))
    except JSTimeoutException as exc:
        # The cancelled eval still reports back to mini-racer's event loop; a cheap eval waits for
        # that report, so closing the context does not leave it to land on a closed loop.
        with contextlib.suppress(Exception):
            ctx.eval("0", timeout_sec=1)
        raise ChallengeError(url, f"its script did not finish within {timeout_ms} ms") from exc
    except JSOOMException as exc:
        raise ChallengeError(url, f"its script used more than {max_memory_mb} MB of memory") from exc
    except JSEvalException as exc:
        raise ChallengeError(url, f"the sandbox failed: {_first_line(str(exc))}") from exc
    finally:
        ctx.close()
    script_errors.extend(_first_line(e) for e in outcome["errors"])
    cookies = parse_cookie_assignments(outcome["cookies"])
    if not cookies:
        detail = f"; script error: {script_errors[0]}" if script_errors else ""
        pending = f"; {left_over} timers still pending" if left_over else ""
        raise ChallengeError(url, f"its script set no cookie{detail}{pending}")
    if script_errors:
        logger.debug("challenge at %s set cookies despite script errors: %s", url, script_errors)
    logger.debug("challenge at %s set %s, navigates to %s", url, sorted(cookies), outcome["hrefs"])
    return cookies


def _outcome(raw: object) -> dict[str, list[str]]:
    """The shim's report, checked: a page that tampered with built-ins must not crash the caller."""
    try:
        outcome = json.loads(str(raw))
        return {key: [str(v) for v in outcome[key]] for key in ("cookies", "hrefs", "errors")}
    except (ValueError, TypeError, KeyError) as exc:
        raise JSEvalException(f"the shim's report was unreadable: {exc}") from exc


def _first_line(message: str) -> str:
    # V8's messages start with "<anonymous>:1: TypeError: ..." then repeat the source line; keep the gist.
    lines = [line for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^\w*Error\b", line.strip())]
    return (errors[0] if errors else lines[0] if lines else "unknown error").strip()[:300]
