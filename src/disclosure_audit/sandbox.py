"""Runs a page's own inline scripts in a fresh, bounded V8 isolate, as a browser would, with no network.

Two callers: the anti-bot challenge solver (http/waf.py: which cookie does the page set?) and the
site profiles (what list request does a catalogue shell's script send?). Each run gets a new
mini-racer context, in a child process of its own, with a hard heap limit, a cap on the whole
process's memory and one deadline for the whole run; the page sees only the stand-ins its caller's
shim defines. Nothing here can reach the network, the file system or a process: mini-racer has none
of them to give.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from disclosure_audit.errors import DisclosureAuditError

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_SRC_ATTR = re.compile(r"\bsrc\s*=", re.I)
_TYPE_ATTR = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"", "text/javascript", "application/javascript", "application/x-javascript", "module"}
MAX_TIMERS = 1000  # timer callbacks run after the scripts; a script that re-arms itself forever stops here


class SandboxError(DisclosureAuditError):
    """The scripts could not be run to the end: too slow, too much memory, or a broken sandbox."""

    def __init__(self, reason: str, kind: str) -> None:
        self.reason = reason
        self.kind = kind  # timeout, memory or failed
        super().__init__(reason)


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


def location_of(url: str) -> dict[str, str]:
    """The parts of `window.location` for a page at `url`."""
    from urllib.parse import urlsplit

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


# The child process's whole memory (RSS) may not pass this: V8's heap limit does not cover the
# backing stores of typed arrays, which a hostile script can grow to gigabytes within its time.
MAX_PROCESS_MB = 384
_START_ALLOWANCE_S = 15.0  # starting the child (an interpreter and mini-racer) is not the scripts' time
_WATCH_INTERVAL_S = 0.02


def run_scripts(
    scripts: list[str],
    shim: str,
    config: Mapping[str, object],
    *,
    timeout_ms: int = 2000,
    max_memory_mb: int = 64,
    max_process_mb: int = MAX_PROCESS_MB,
) -> tuple[dict, list[str], int]:
    """Run `shim` (a JS template with one %s for the JSON config), then each script, then pending timers.

    The shim must define `__da_drain()` (runs timers, returns how many are left) and `__da_result()`
    (a JSON string). Returns (the parsed result, the scripts' errors, timers left). A script that
    throws is recorded and the next one runs, as in a browser. Raises SandboxError.

    The isolate runs in a child process of its own: its V8 heap is capped at `max_memory_mb`, and
    the whole process (typed arrays and other memory outside the heap included) at `max_process_mb`,
    watched from here and killed the moment it passes; a crash of the isolate is the child's, not ours.
    """
    payload = json.dumps(
        {"scripts": scripts, "shim": shim, "config": dict(config), "timeout_ms": timeout_ms,
         "max_memory_mb": max_memory_mb}  # fmt: skip
    ).encode("utf-8")
    # a plain child interpreter (not multiprocessing: that would import the caller's __main__ again)
    child = subprocess.Popen(
        [sys.executable, "-m", "disclosure_audit.sandbox"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(child.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    limit = max_process_mb * 1024 * 1024
    deadline = time.monotonic() + _START_ALLOWANCE_S + timeout_ms / 1000
    try:
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(payload)  # type: ignore[union-attr]
            child.stdin.close()  # type: ignore[union-attr]
        while child.poll() is None:
            rss = _rss(child.pid)
            if rss is not None and rss > limit:
                raise SandboxError(
                    f"its script used more than {max_process_mb} MB of memory (the whole sandbox process)", "memory"
                )
            if time.monotonic() > deadline:
                raise SandboxError(f"its script did not finish within {timeout_ms} ms", "timeout")
            time.sleep(_WATCH_INTERVAL_S)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)
        reader.join(5)
    try:
        message = json.loads(out[0].decode("utf-8")) if out and out[0] else None
    except ValueError:
        message = None
    if not isinstance(message, list) or not message:
        raise SandboxError(f"the sandbox process ended without a result (exit code {child.returncode})", "failed")
    if message[0] == "error":
        raise SandboxError(str(message[1]), str(message[2]))
    return message[1], list(message[2]), int(message[3])


def _rss(pid: int | None) -> int | None:
    """Resident memory of a process in bytes, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _child_main() -> None:
    """The child process: read the job from stdin, print ["ok", result, errors, left_over] or
    ["error", reason, kind] as JSON on stdout."""
    try:
        job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        result = _run_here(job["scripts"], job["shim"], job["config"], timeout_ms=int(job["timeout_ms"]),
                           max_memory_mb=int(job["max_memory_mb"]))  # fmt: skip
        message: list = ["ok", *result]
    except SandboxError as exc:
        message = ["error", exc.reason, exc.kind]
    except Exception as exc:  # noqa: BLE001 - whatever broke, the parent gets one line
        message = ["error", f"the sandbox failed: {type(exc).__name__}: {exc}", "failed"]
    sys.stdout.buffer.write(json.dumps(message).encode("utf-8"))
    sys.stdout.buffer.flush()


def _run_here(
    scripts: list[str],
    shim: str,
    config: Mapping[str, object],
    *,
    timeout_ms: int,
    max_memory_mb: int,
) -> tuple[dict, list[str], int]:
    """run_scripts' work, in this process (the child)."""
    deadline = time.monotonic() + timeout_ms / 1000
    errors: list[str] = []

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise JSTimeoutException
        return left

    ctx = MiniRacer()
    try:
        ctx.set_hard_memory_limit(max_memory_mb * 1024 * 1024)
        ctx.eval(shim % json.dumps(dict(config)), timeout_sec=remaining())
        for script in scripts:
            try:
                ctx.eval(script, timeout_sec=remaining())
            except (JSTimeoutException, JSOOMException):
                raise
            except JSEvalException as exc:
                errors.append(first_line(str(exc)))
        left_over = int(ctx.eval("__da_drain()", timeout_sec=remaining()))
        raw = ctx.eval("__da_result()", timeout_sec=remaining())
    except JSTimeoutException as exc:
        # The cancelled eval still reports back to mini-racer's event loop; a cheap eval waits for
        # that report, so closing the context does not leave it to land on a closed loop.
        with contextlib.suppress(Exception):
            ctx.eval("0", timeout_sec=1)
        raise SandboxError(f"its script did not finish within {timeout_ms} ms", "timeout") from exc
    except JSOOMException as exc:
        raise SandboxError(f"its script used more than {max_memory_mb} MB of memory", "memory") from exc
    except JSEvalException as exc:
        raise SandboxError(f"the sandbox failed: {first_line(str(exc))}", "failed") from exc
    finally:
        ctx.close()
    try:
        result = json.loads(str(raw))
    except ValueError as exc:
        # a page that tampered with built-ins must not crash the caller
        raise SandboxError(f"the sandbox's report was unreadable: {exc}", "failed") from exc
    if not isinstance(result, dict):
        raise SandboxError("the sandbox's report was not an object", "failed")
    return result, errors, left_over


def first_line(message: str) -> str:
    """The gist of a V8 error: '<anonymous>:1: TypeError: ...' lines repeat the source; keep the error."""
    lines = [line for line in message.splitlines() if line.strip()]
    found = [line for line in lines if re.match(r"^\w*Error\b", line.strip())]
    return (found[0] if found else lines[0] if lines else "unknown error").strip()[:300]


# ------------------------------------------------------------------------------------ list requests

# A browser of the shell page, as far as its list script needs one: jQuery-like `$` and the vendor's `Ls`
# whose request functions record what they would send, a document whose <meta> values and form fields
# are the page's own, and a stand-in that absorbs every other call (menus, hovers, animations).
_REQUEST_SHIM = r"""
(function (g, cfg) {
  var requests = [], errors = [], timers = [], ready = [], seq = 0;
  var stringify = JSON.stringify, isArray = Array.isArray, keys = Object.keys;
  function absorb() {
    var f = function () {};
    return new Proxy(f, {
      get: function (t, k) {
        if (k === Symbol.toPrimitive) { return function () { return ''; }; }
        if (k === 'length') { return 0; }
        if (k === 'then') { return undefined; }
        return absorb();
      },
      apply: function () { return absorb(); },
      construct: function () { return absorb(); },
      set: function () { return true; }
    });
  }
  function plain(v, depth) {
    if (v === null || v === undefined) { return v; }
    var t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean') { return v; }
    if (t === 'function') { return undefined; }
    if (depth > 3) { return undefined; }
    if (isArray(v)) { return v.map(function (x) { return plain(x, depth + 1); }); }
    var out = {};
    keys(v).forEach(function (k) { var p = plain(v[k], depth + 1); if (p !== undefined) { out[k] = p; } });
    return out;
  }
  function record(url, data, type, via) {
    requests.push({url: url === undefined || url === null ? null : String(url), data: plain(data, 0),
                   type: String(type || 'GET').toUpperCase(), via: via});
    return absorb();
  }
  function metaContent(name) {
    var want = String(name).toLowerCase();
    for (var k in cfg.metas) { if (k.toLowerCase() === want) { return cfg.metas[k]; } }
    return undefined;
  }
  function lookup(sel, attr) {
    var m = /^\s*meta\s*\[\s*name\s*=\s*["']?([^"'\]\s]+)["']?\s*\]\s*$/i.exec(sel);
    if (m) { return attr === 'content' ? metaContent(m[1]) : undefined; }
    m = /^\s*#([\w-]+)\s*$/.exec(sel) || /^\s*(?:input)?\s*\[\s*name\s*=\s*["']?([^"'\]\s]+)["']?\s*\]\s*$/i.exec(sel);
    if (m && attr === 'value') { return cfg.fields[m[1]]; }
    return undefined;
  }
  function element(sel) {
    var el = {
      getAttribute: function (a) { return lookup(sel, a); },
      setAttribute: function () {}, appendChild: function () {}, addEventListener: function () {},
      style: {}, innerHTML: '', className: ''
    };
    Object.defineProperty(el, 'content', {get: function () { return lookup(sel, 'content'); }});
    Object.defineProperty(el, 'value', {get: function () { return lookup(sel, 'value'); }, set: function () {}});
    return new Proxy(el, {get: function (t, k) { return k in t ? t[k] : absorb(); }});
  }
  function chain(sel) {
    var self;
    var api = {
      attr: function (a) { return arguments.length > 1 ? self : lookup(String(sel), a); },
      val: function () { return arguments.length ? self : lookup(String(sel), 'value'); },
      ready: function (fn) { if (typeof fn === 'function') { ready.push(fn); } return self; },
      length: 1
    };
    self = new Proxy(api, {get: function (t, k) {
      if (k in t) { return t[k]; }
      if (k === 'then') { return undefined; }
      return function () { return self; };
    }});
    return self;
  }
  function extend() {
    var args = Array.prototype.slice.call(arguments), deep = false;
    if (typeof args[0] === 'boolean') { deep = args.shift(); }
    var target = args.shift() || {};
    args.forEach(function (src) {
      if (src && typeof src === 'object') {
        keys(src).forEach(function (k) {
          var v = src[k];
          target[k] = deep && v && typeof v === 'object' && !isArray(v) ? extend(true, {}, target[k] || {}, v) : v;
        });
      }
    });
    return target;
  }
  function ajax(via) {
    return function (opts, more) {
      if (typeof opts === 'string') { more = more || {}; more.url = opts; opts = more; }
      opts = opts || {};
      return record(opts.url, opts.data, opts.type || opts.method, via);
    };
  }
  function shortcut(via, type) {
    return function (url, data) {
      if (url && typeof url === 'object') { return record(url.url, url.data, url.type || type, via); }
      return record(url, typeof data === 'function' ? undefined : data, type, via);
    };
  }
  var jq = function (sel) {
    if (typeof sel === 'function') { ready.push(sel); return chain(''); }
    return chain(sel);
  };
  var jqApi = {
    ajax: ajax('$.ajax'), get: shortcut('$.get', 'GET'), post: shortcut('$.post', 'POST'),
    getJSON: shortcut('$.getJSON', 'GET'), extend: extend, fn: {},
    each: function (o, fn) { if (o) { keys(o).forEach(function (k) { fn.call(o[k], k, o[k]); }); } return o; },
    trim: function (s) { return String(s === undefined || s === null ? '' : s).trim(); },
    isArray: isArray, isFunction: function (f) { return typeof f === 'function'; },
    inArray: function (v, a) { return a ? a.indexOf(v) : -1; },
    map: function (a, fn) { return (a || []).map(fn); },
    param: function (o) { return keys(o || {}).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(o[k]); }).join('&'); }
  };
  var dollar = new Proxy(jq, {get: function (t, k) { return k in jqApi ? jqApi[k] : absorb(); }});
  var lsApi = {ajax: ajax('Ls.ajax'), get: shortcut('Ls.get', 'GET'), post: shortcut('Ls.post', 'POST'),
               extend: extend};
  var ls = new Proxy(lsApi, {get: function (t, k) { return k in t ? t[k] : absorb(); }});
  var loc = {};
  ['href', 'protocol', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'].forEach(function (k) {
    Object.defineProperty(loc, k, {get: function () { return cfg.location[k]; }, set: function () {}});
  });
  loc.reload = function () {}; loc.replace = function () {}; loc.assign = function () {};
  loc.toString = function () { return cfg.location.href; };
  var docApi = {
    getElementById: function (id) { return element('#' + id); },
    querySelector: function (sel) { return element(String(sel)); },
    querySelectorAll: function (sel) { return [element(String(sel))]; },
    getElementsByName: function (n) { return [element('meta[name=' + n + ']')]; },
    getElementsByTagName: function () { return []; },
    getElementsByClassName: function () { return []; },
    createElement: function () { return element(''); },
    addEventListener: function (type, fn) {
      if ((type === 'DOMContentLoaded' || type === 'load') && typeof fn === 'function') { ready.push(fn); }
    },
    write: function () {}, writeln: function () {},
    cookie: '', referrer: '', title: cfg.title || '', location: loc, URL: cfg.location.href,
    body: element('body'), head: element('head'), documentElement: element('html')
  };
  var doc = new Proxy(docApi, {get: function (t, k) { return k in t ? t[k] : absorb(); },
                               set: function (t, k, v) { t[k] = v; return true; }});
  function later(args) {
    var id = ++seq;
    timers.push({id: id, fn: args[0], ms: Number(args[1]) || 0, args: Array.prototype.slice.call(args, 2)});
    return id;
  }
  function clear(id) { timers = timers.filter(function (t) { return t.id !== id; }); }
  g.window = g; g.self = g; g.top = g; g.parent = g;
  g.document = doc; g.location = loc;
  g.navigator = {userAgent: cfg.userAgent, language: 'zh-CN', languages: ['zh-CN', 'zh'], platform: 'Win32',
                 cookieEnabled: true};
  g.$ = dollar; g.jQuery = dollar; g.Ls = ls;
  g.alert = function () {}; g.confirm = function () { return false; }; g.console = {log: function () {},
    warn: function () {}, error: function () {}, info: function () {}};
  g.setTimeout = function () { return later(arguments); };
  g.setInterval = function () { return later(arguments); };
  g.clearTimeout = clear; g.clearInterval = clear;
  g.addEventListener = docApi.addEventListener;
  Object.defineProperty(g, '__da_drain', {value: function () {
    ready.splice(0).forEach(function (fn) {
      try { fn.call(g, dollar); } catch (e) { errors.push(String(e && e.message || e)); }
    });
    if (typeof g.onload === 'function') {
      try { g.onload(); } catch (e) { errors.push(String(e && e.message || e)); }
    }
    for (var n = 0; timers.length && n < cfg.maxTimers; n++) {
      timers.sort(function (a, b) { return a.ms - b.ms || a.id - b.id; });
      var t = timers.shift();
      try {
        if (typeof t.fn === 'function') { t.fn.apply(g, t.args); } else { (0, eval)(String(t.fn)); }
      } catch (e) { errors.push(String(e && e.message || e)); }
    }
    return timers.length;
  }});
  Object.defineProperty(g, '__da_result', {value: function () {
    return stringify({requests: requests, errors: errors});
  }});
})(this, %s);
"""


@dataclass(frozen=True)
class RecordedRequest:
    """A request a page's script would send: where to, with what data (an object, or a query string)."""

    url: str | None
    data: object
    method: str
    via: str  # the function that sent it: $.ajax, $.get, Ls.ajax ...


def record_requests(
    html: str,
    page_url: str,
    metas: Mapping[str, str],
    fields: Mapping[str, str] | None = None,
    *,
    user_agent: str = "Mozilla/5.0 (compatible; disclosure-audit)",
    timeout_ms: int = 2000,
    max_memory_mb: int = 64,
) -> tuple[list[RecordedRequest], list[str]]:
    """Run a page's inline scripts (then its ready handlers and timers) and return the requests they
    would send, with the scripts' errors. Raises SandboxError when the run cannot finish."""
    config = {
        "location": location_of(page_url),
        "metas": dict(metas),
        "fields": dict(fields or {}),
        "userAgent": user_agent,
        "maxTimers": MAX_TIMERS,
    }
    result, errors, _ = run_scripts(
        extract_scripts(html), _REQUEST_SHIM, config, timeout_ms=timeout_ms, max_memory_mb=max_memory_mb
    )
    out = []
    for r in result.get("requests") or []:
        if isinstance(r, dict):
            out.append(
                RecordedRequest(
                    url=r.get("url") if isinstance(r.get("url"), str) else None,
                    data=r.get("data"),
                    method=str(r.get("type") or "GET"),
                    via=str(r.get("via") or ""),
                )
            )
    return out, errors + [str(e) for e in result.get("errors") or []]


if __name__ == "__main__":
    _child_main()
