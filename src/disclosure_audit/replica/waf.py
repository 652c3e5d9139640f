"""A JiaSuLe-style (加速乐) two-stage JavaScript challenge that the replica puts in front of its site."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import random
import string
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from disclosure_audit.replica.http_types import Response

JSLUID_COOKIE = "__jsluid_h"
CLEARANCE_COOKIE = "__jsl_clearance_s"
CHALLENGE_STATUS = 521
CLEARANCE_MAX_AGE = "3600"
JSLUID_MAX_AGE = 31536000
ALPHABET = string.ascii_letters + string.digits
HASHES = ("md5", "sha1", "sha256")


def _sha256_constants() -> tuple[list[int], list[int]]:
    """SHA-256's IV and round constants, computed exactly with integers (fractional roots of primes)."""
    primes = [p for p in range(2, 312) if all(p % d for d in range(2, math.isqrt(p) + 1))][:64]

    def icbrt(n: int) -> int:
        x = 1 << ((n.bit_length() + 2) // 3 + 1)
        while True:
            y = (2 * x + n // (x * x)) // 3
            if y >= x:
                return x
            x = y

    iv = [math.isqrt(p << 64) & 0xFFFFFFFF for p in primes[:8]]
    rounds = [icbrt(p << 96) & 0xFFFFFFFF for p in primes]
    return iv, rounds


def _md5_constants() -> list[int]:
    """MD5's 64 additive constants, floor(|sin(i)| * 2**32) for i = 1..64 (RFC 1321, section 3.4)."""
    # A double carries about 21 bits below the binary point here, far more than any of the 64 values
    # needs to floor correctly; the tests hold the result against hashlib.
    return [int(abs(math.sin(i)) * 2**32) & 0xFFFFFFFF for i in range(1, 65)]


def _hash_js() -> str:
    iv, rounds = _sha256_constants()
    consts = ",".join(f"0x{k:08x}" for k in rounds)
    init = ",".join(f"0x{h:08x}" for h in iv)
    md5_consts = ",".join(f"0x{k:08x}" for k in _md5_constants())
    # Compact ES5 so it runs in any engine a crawler might embed; strings are UTF-8 encoded first,
    # standard Merkle-Damgard padding, big-endian 32-bit words for the SHAs.
    return (
        "function _u8(s){s=unescape(encodeURIComponent(s));var b=[],i;"
        "for(i=0;i<s.length;i++)b.push(s.charCodeAt(i));return b}"
        "function _pad(b){var l=b.length,w=[],i;b=b.slice();b.push(128);"
        "while(b.length%64!==56)b.push(0);var hi=Math.floor(l/536870912),lo=(l*8)>>>0;"
        "b.push(hi>>>24&255,hi>>>16&255,hi>>>8&255,hi&255,lo>>>24&255,lo>>>16&255,lo>>>8&255,lo&255);"
        "for(i=0;i<b.length;i+=4)w.push(b[i]<<24|b[i+1]<<16|b[i+2]<<8|b[i+3]);return w}"
        "function _hex(h){var s='',i;for(i=0;i<h.length;i++)s+=('0000000'+(h[i]>>>0).toString(16)).slice(-8);"
        "return s}"
        "function _rot(x,n){return x>>>n|x<<32-n}"
        "function sha1(s){var w=_pad(_u8(s)),h=[0x67452301,0xefcdab89,0x98badcfe,0x10325476,0xc3d2e1f0],"
        "x=[],i,j,a,b,c,d,e,f,k,t;"
        "for(i=0;i<w.length;i+=16){for(j=0;j<16;j++)x[j]=w[i+j];"
        "for(j=16;j<80;j++){t=x[j-3]^x[j-8]^x[j-14]^x[j-16];x[j]=t<<1|t>>>31}"
        "a=h[0];b=h[1];c=h[2];d=h[3];e=h[4];"
        "for(j=0;j<80;j++){if(j<20){f=b&c|~b&d;k=0x5a827999}else if(j<40){f=b^c^d;k=0x6ed9eba1}"
        "else if(j<60){f=b&c|b&d|c&d;k=0x8f1bbcdc}else{f=b^c^d;k=0xca62c1d6}"
        "t=(a<<5|a>>>27)+f+e+k+x[j]|0;e=d;d=c;c=b<<30|b>>>2;b=a;a=t}"
        "h[0]=h[0]+a|0;h[1]=h[1]+b|0;h[2]=h[2]+c|0;h[3]=h[3]+d|0;h[4]=h[4]+e|0}return _hex(h)}"
        f"var _K=[{consts}];"
        "function sha256(s){var w=_pad(_u8(s)),"
        f"h=[{init}],"
        "x=[],i,j,a,b,c,d,e,f,g,q,t1,t2,s0,s1;"
        "for(i=0;i<w.length;i+=16){for(j=0;j<16;j++)x[j]=w[i+j];"
        "for(j=16;j<64;j++){s0=_rot(x[j-15],7)^_rot(x[j-15],18)^x[j-15]>>>3;"
        "s1=_rot(x[j-2],17)^_rot(x[j-2],19)^x[j-2]>>>10;x[j]=x[j-16]+s0+x[j-7]+s1|0}"
        "a=h[0];b=h[1];c=h[2];d=h[3];e=h[4];f=h[5];g=h[6];q=h[7];"
        "for(j=0;j<64;j++){s1=_rot(e,6)^_rot(e,11)^_rot(e,25);t1=q+s1+(e&f^~e&g)+_K[j]+x[j]|0;"
        "s0=_rot(a,2)^_rot(a,13)^_rot(a,22);t2=s0+(a&b^a&c^b&c)|0;"
        "q=g;g=f;f=e;e=d+t1|0;d=c;c=b;b=a;a=t1+t2|0}"
        "h[0]=h[0]+a|0;h[1]=h[1]+b|0;h[2]=h[2]+c|0;h[3]=h[3]+d|0;"
        "h[4]=h[4]+e|0;h[5]=h[5]+f|0;h[6]=h[6]+g|0;h[7]=h[7]+q|0}return _hex(h)}"
        # MD5 is the little-endian one: its words, its bit length and its digest bytes are all read
        # least significant byte first, so it gets its own padding and hex output.
        "function _padle(b){var l=b.length,w=[],i;b=b.slice();b.push(128);"
        "while(b.length%64!==56)b.push(0);var hi=Math.floor(l/536870912),lo=(l*8)>>>0;"
        "b.push(lo&255,lo>>>8&255,lo>>>16&255,lo>>>24&255,hi&255,hi>>>8&255,hi>>>16&255,hi>>>24&255);"
        "for(i=0;i<b.length;i+=4)w.push(b[i]|b[i+1]<<8|b[i+2]<<16|b[i+3]<<24);return w}"
        f"var _M=[{md5_consts}],_S=[7,12,17,22,5,9,14,20,4,11,16,23,6,10,15,21];"
        "function md5(s){var w=_padle(_u8(s)),h=[0x67452301,0xefcdab89,0x98badcfe,0x10325476],"
        "o='',i,j,a,b,c,d,f,g,t,r;"
        "for(i=0;i<w.length;i+=16){a=h[0];b=h[1];c=h[2];d=h[3];"
        "for(j=0;j<64;j++){if(j<16){f=b&c|~b&d;g=j}else if(j<32){f=d&b|~d&c;g=(5*j+1)%16}"
        "else if(j<48){f=b^c^d;g=(3*j+5)%16}else{f=c^(b|~d);g=7*j%16}"
        "t=a+f+_M[j]+w[i+g]|0;r=_S[j>>4<<2|j&3];a=d;d=c;c=b;b=b+(t<<r|t>>>32-r)|0}"
        "h[0]=h[0]+a|0;h[1]=h[1]+b|0;h[2]=h[2]+c|0;h[3]=h[3]+d|0}"
        "for(i=0;i<4;i++)for(j=0;j<32;j+=8)o+=('0'+(h[i]>>>j&255).toString(16)).slice(-2);return o}"
    )


# The hash helpers of the stage-2 page: `md5(str)`, `sha1(str)` and `sha256(str)` returning lowercase hex.
HASH_JS: str = _hash_js()

# Stage 2's solver, the shape of the real page: try every two-character infix until the digest matches.
GO_JS: str = (
    "function go(c){var f={md5:md5,sha1:sha1,sha256:sha256}[c.ha],ch=c.chars,n=ch.length,i,j,v;"
    "for(i=0;i<n;i++)for(j=0;j<n;j++){v=c.bts[0]+ch.charAt(i)+ch.charAt(j)+c.bts[1];"
    "if(f(v)===c.ct){document.cookie=c.tn+'='+v+';max-age='+c.vt+';path=/';"
    "location.href=location.pathname+location.search;return}}}"
)


def hexdigest(hash_name: str, text: str) -> str:
    """The lowercase hex digest of `text` (UTF-8) under one of HASHES, as the page's JS helpers compute it."""
    # The digest only paces a challenge, it protects nothing, so md5 must work even where a FIPS build
    # of OpenSSL refuses it for security use.
    return hashlib.new(hash_name, text.encode(), usedforsecurity=False).hexdigest()


def solve_stage2(cfg: Mapping[str, object]) -> str:
    """Brute-force a stage-2 config in Python, as `go(cfg)` does in JS; only for tests and documentation."""
    prefix, suffix = cfg["bts"]  # type: ignore[misc]
    chars = str(cfg["chars"])
    target = str(cfg["ct"])
    algorithm = str(cfg["ha"])
    if algorithm not in HASHES:
        raise ValueError(f"cfg['ha'] must be one of {HASHES}, got {algorithm!r}")
    for c1, c2 in itertools.product(chars, repeat=2):
        candidate = f"{prefix}{c1}{c2}{suffix}"
        if hexdigest(algorithm, candidate) == target:
            return candidate
    raise ValueError("no two-character infix from cfg['chars'] matches cfg['ct']")


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def _rng(*parts: object) -> random.Random:
    # Seeded from a hash of the inputs, so pages are reproducible and independent of call order.
    return random.Random(int.from_bytes(_digest(*parts), "big"))


def _js_str(text: str) -> str:
    return json.dumps(text)


def _char_code_expr(code: int, rng: random.Random) -> str:
    """An arithmetic expression equal to `code`, so no character code appears literally."""
    form = rng.randrange(3)
    if form == 0:
        a = rng.randrange(1, code) if code > 1 else 0
        return f"{a}+{code - a}"
    if form == 1:
        mask = rng.randrange(1, 256)
        return f"{code ^ mask}^{mask}"
    factor = rng.randrange(2, 9)
    return f"{code // factor}*{factor}+{code % factor}"


def _piece_expr(piece: str, rng: random.Random) -> str:
    """One short piece of the secret as a JS expression, in one of several shapes."""
    if piece.isdigit() and (piece == "0" or not piece.startswith("0")) and rng.random() < 0.5:
        value = int(piece)
        a = rng.randrange(0, value + 1)
        return f"(({a}+{value - a})+'')"
    if len(piece) > 1 and rng.random() < 0.4:
        letters = ",".join(_js_str(c) for c in reversed(piece))
        return f"[{letters}].reverse().join('')"
    codes = ",".join(_char_code_expr(ord(c), rng) for c in piece)
    return f"String.fromCharCode({codes})"


def obfuscate(secret: str, rng: random.Random) -> str:
    """A JS expression evaluating to `secret` whose source never contains it (nor long runs of it)."""
    pieces: list[str] = []
    i = 0
    while i < len(secret):
        size = rng.randint(1, 3)
        pieces.append(secret[i : i + size])
        i += size
    order = list(range(len(pieces)))
    rng.shuffle(order)
    # Pieces are stored shuffled and reassembled through an index list, so even the order of the
    # literal fragments in the source says nothing.
    slots = [""] * len(pieces)
    for slot, index in enumerate(order):
        slots[slot] = _piece_expr(pieces[index], rng)
    positions = [order.index(k) for k in range(len(pieces))]
    return (
        "(function(p,o){for(var s='',i=0;i<o.length;i++)s+=p[o[i]];return s})"
        f"([{','.join(slots)}],[{','.join(map(str, positions))}])"
    )


def _b64ish(raw: bytes, length: int) -> str:
    text = base64.b64encode(raw).decode().replace("+", "").replace("/", "").replace("=", "")
    return text[:length]


@dataclass(frozen=True)
class Verdict:
    """What the WAF decided for one request."""

    passed: bool
    response: Response | None = None  # the 521 page to send instead of the site, when not passed
    stage: int = 0  # 1 or 2: which challenge page was sent
    granted: bool = False  # this request turned a solved stage 2 into a clearance


@dataclass
class _Client:
    state: str = "new"  # new -> stage1 -> stage2 -> clear, and back to new when the budget runs out
    counter: int = 0  # challenges issued so far; feeds the tokens so every challenge differs
    stage1_token: str = ""
    stage2_cfg: dict[str, object] | None = None
    answer: str = ""
    budget: int = 0


class JslChallenge:
    """Per-client JiaSuLe challenge state keyed by the `__jsluid_h` cookie the WAF itself hands out."""

    def __init__(
        self,
        seed: int = 0,
        every: int = 200,
        hash_name: str = "sha256",
        *,
        max_clients: int = 10_000,
    ) -> None:
        if hash_name not in HASHES:
            raise ValueError(f"hash_name must be one of {HASHES}")
        if every < 1:
            raise ValueError("every must be at least 1")
        self.seed = seed
        self.every = every
        self.hash_name = hash_name
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._issued = 0

    def check(self, cookies: Mapping[str, str]) -> Verdict:
        """Let the request through, or answer it with the challenge page it has earned."""
        with self._lock:
            jsluid = cookies.get(JSLUID_COOKIE, "")
            client = self._clients.get(jsluid) if jsluid else None
            if client is None:
                # No cookie, or one this server never issued (or has forgotten): a new client.
                jsluid = self._new_jsluid()
                client = _Client()
                self._clients[jsluid] = client
                while len(self._clients) > self.max_clients:
                    self._clients.popitem(last=False)
                cookie = f"{JSLUID_COOKIE}={jsluid}; max-age={JSLUID_MAX_AGE}; path=/; HttpOnly"
                return self._stage1(jsluid, client, set_cookie=cookie)
            self._clients.move_to_end(jsluid)
            clearance = cookies.get(CLEARANCE_COOKIE)
            if client.state in ("stage2", "clear") and client.answer and clearance == client.answer:
                granted = client.state == "stage2"
                if granted:
                    client.state, client.budget = "clear", self.every
                client.budget -= 1
                if client.budget <= 0:
                    # Revoked: the next request starts over at stage 1, as JiaSuLe does mid-crawl.
                    client.state, client.answer, client.stage2_cfg = "new", "", None
                return Verdict(passed=True, granted=granted)
            if client.state == "stage2" and clearance == client.stage1_token:
                return self._stage2_page(client.stage2_cfg or {})
            if client.state == "stage1" and clearance == client.stage1_token:
                return self._stage2(jsluid, client)
            return self._stage1(jsluid, client)

    def _new_jsluid(self) -> str:
        self._issued += 1
        return _digest(self.seed, "jsluid", self._issued).hex()[:32]

    def _stage1(self, jsluid: str, client: _Client, set_cookie: str | None = None) -> Verdict:
        client.counter += 1
        client.state, client.answer, client.stage2_cfg = "stage1", "", None
        raw = _digest(self.seed, "stage1", jsluid, client.counter)
        stamp = 1_600_000_000 + int.from_bytes(raw[:4], "big") % 100_000_000
        client.stage1_token = f"{stamp}.{raw[4] % 1000:03d}|-1|{_b64ish(raw[5:], 28)}%3D"
        rng = _rng(self.seed, "stage1-js", jsluid, client.counter)
        expr = obfuscate(f"{CLEARANCE_COOKIE}={client.stage1_token}", rng)
        html = (
            f"<html><script>document.cookie={expr}+';max-age={CLEARANCE_MAX_AGE};path=/';"
            "location.href=location.pathname+location.search</script></html>"
        )
        headers = {"Cache-Control": "no-cache, no-store"}
        if set_cookie:
            headers["Set-Cookie"] = set_cookie
        return Verdict(passed=False, response=_page(html, headers), stage=1)

    def _stage2(self, jsluid: str, client: _Client) -> Verdict:
        raw = _digest(self.seed, "stage2", jsluid, client.counter)
        rng = _rng(self.seed, "stage2-cfg", jsluid, client.counter)
        chars = list(ALPHABET)
        rng.shuffle(chars)
        stamp = 1_600_000_000 + int.from_bytes(raw[:4], "big") % 100_000_000
        body = _b64ish(raw[4:], 26)
        split = rng.randint(8, 20)
        prefix = f"{stamp}.{raw[30] % 1000:03d}|0|{body[:split]}"
        suffix = f"{body[split:]}%3D"
        answer = prefix + rng.choice(chars) + rng.choice(chars) + suffix
        cfg: dict[str, object] = {
            "bts": [prefix, suffix],
            "chars": "".join(chars),
            "ct": hexdigest(self.hash_name, answer),
            "ha": self.hash_name,
            "tn": CLEARANCE_COOKIE,
            "vt": CLEARANCE_MAX_AGE,
            "wt": "1500",
        }
        client.state, client.answer, client.stage2_cfg = "stage2", answer, cfg
        return self._stage2_page(cfg)

    def _stage2_page(self, cfg: Mapping[str, object]) -> Verdict:
        config = json.dumps(cfg, separators=(",", ":"))
        html = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f"<script>{HASH_JS}{GO_JS}go({config})</script></body></html>"
        )
        return Verdict(passed=False, response=_page(html, {"Cache-Control": "no-cache, no-store"}), stage=2)


def _page(html: str, headers: dict[str, str]) -> Response:
    return Response(status=CHALLENGE_STATUS, body=html.encode(), headers=headers)
