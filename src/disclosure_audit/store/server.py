"""Find a PostgreSQL server, or start a private one, and make sure the project database exists.

The search order (`find_server`):

1. `DISCLOSURE_DATABASE_URL`, if set, is used as it is (a libpq URL, ``postgresql://...``).
2. A server on 127.0.0.1:5432 that lets us in without a password (trust auth), first as the
   ``postgres`` role, then as a role named like the current OS user, to the ``postgres`` database.
3. A private cluster of our own under ``<project>/.local/pgdata``, made with ``initdb`` and run with
   ``pg_ctl`` (found on PATH, else under ``/usr/lib/postgresql/<newest>/bin``), listening on
   127.0.0.1 on a free port (55432 unless taken), its socket in ``.local/pgsock``, its log in
   ``.local/pg.log``. An existing cluster there is reused. PostgreSQL refuses to run as root, so
   as root the binaries run as the ``postgres`` OS user, which then owns those paths.
4. Otherwise a `StoreError` that lists what was tried and how to get a server.

Every step is a parameter of `find_server` (environment, host, port, users, binary folders,
state folder), so tests drive each path for real instead of patching internals.

URLs returned have no password (the trust users need none; for a server that does, put the
password in ``DISCLOSURE_DATABASE_URL``, ``PGPASSWORD`` or ``~/.pgpass``). Print URLs only through
`mask_url`.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import glob
import os
import pwd
import re
import shlex
import socket
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from disclosure_audit.errors import DisclosureAuditError
from disclosure_audit.locations import ENV_HOME, PROJECT_NAME, project_root  # noqa: F401  (re-exported)

ENV_URL = "DISCLOSURE_DATABASE_URL"
ENV_NAME = "DISCLOSURE_DATABASE_NAME"
DEFAULT_DATABASE = "disclosure_audit"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5432
DEFAULT_PRIVATE_PORT = 55432
DEFAULT_USERS = ("postgres",)  # then the current OS user, see `_trust_users`
POSTGRES_LIB_GLOB = "/usr/lib/postgresql/*/bin"
CONNECT_TIMEOUT = 5  # seconds, for every probe
PG_CTL_TIMEOUT = 60  # seconds that pg_ctl waits for start/stop
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1

Source = Literal["env", "local", "private"]


class StoreError(DisclosureAuditError):
    """The database could not be found, started, created or migrated."""


# --------------------------------------------------------------------------- URLs


def mask_url(url: str) -> str:
    """`url` with any password replaced by ``***``: the only form in which a URL may be printed.

    Handles ``scheme://user:password@host`` URLs, a ``password=`` query parameter and libpq
    ``key=value`` strings (``host=x password=y``).
    """
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostinfo = netloc.rpartition("@")
            if ":" in userinfo:
                userinfo = userinfo.split(":", 1)[0] + ":***"
            netloc = f"{userinfo}@{hostinfo}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url, flags=re.IGNORECASE)


def database_of(url: str) -> str | None:
    """The database name in the path of a libpq URL, or None when the URL names none."""
    path = urlsplit(url).path.lstrip("/")
    return unquote(path) or None


def with_database(url: str, dbname: str) -> str:
    """`url` pointing at database `dbname` instead (user, host, port and query kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname, safe=""), parts.query, ""))


def make_url(user: str, host: str, port: int, dbname: str) -> str:
    """``postgresql://user@host:port/dbname``, each part escaped."""
    return f"postgresql://{quote(user, safe='')}@{host}:{port}/{quote(dbname, safe='')}"


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.netloc:
        raise StoreError(
            f"{where} must be a libpq URL such as postgresql://USER@HOST:PORT/DBNAME, "
            f"but it is {mask_url(url)!r}. Fix or unset it."
        )


# --------------------------------------------------------------------------- settings


def database_name(env: Mapping[str, str] | None = None) -> str:
    """The project database name: `DISCLOSURE_DATABASE_NAME` or ``disclosure_audit``."""
    env = os.environ if env is None else env
    name = env.get(ENV_NAME) or DEFAULT_DATABASE
    _check_identifier(name, ENV_NAME if env.get(ENV_NAME) else "the default database name")
    return name


def _check_identifier(name: str, where: str) -> None:
    if not name or len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES or "\x00" in name:
        raise StoreError(
            f"{where} must be a PostgreSQL database name of 1 to {MAX_IDENTIFIER_BYTES} bytes, "
            f"but it is {name!r}."
        )


def _trust_users(users: Sequence[str] | None) -> list[str]:
    if users is not None:
        return list(users)
    names = list(DEFAULT_USERS)
    with contextlib.suppress(Exception):  # no passwd entry, no LOGNAME: just skip this user
        me = getpass.getuser()
        if me not in names:
            names.append(me)
    return names


# --------------------------------------------------------------------------- connections


def connect(url: str, **kwargs):
    """A psycopg2 connection to `url` with a short connect timeout."""
    kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT)
    return psycopg2.connect(url, **kwargs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _can_connect(url: str) -> str | None:
    """None when `url` lets us in, else why not (one line)."""
    try:
        connect(url).close()
    except psycopg2.Error as exc:
        return _first_line(exc)
    return None


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server we can connect to, and how we found it."""

    source: Source
    #: a database on the server to connect to for CREATE/DROP DATABASE (no password in it)
    admin_url: str
    #: only for source "env": the project database URL exactly as the user gave it
    given_url: str | None = None
    #: only for source "private": the cluster's data folder
    pgdata: Path | None = None

    def url_for(self, dbname: str) -> str:
        """The URL of database `dbname` on this server."""
        return with_database(self.admin_url, dbname)

    def project_url(self, name: str) -> str:
        """The project database URL: the given URL as is, else database `name` on this server."""
        if self.given_url is not None and database_of(self.given_url):
            return self.given_url
        return self.url_for(name)

    def describe(self) -> str:
        where = mask_url(self.admin_url)
        return {
            "env": f"{ENV_URL} ({where})",
            "local": f"the local server ({where})",
            "private": f"the private cluster in {self.pgdata} ({where})",
        }[self.source]


def find_server(
    *,
    env: Mapping[str, str] | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    users: Sequence[str] | None = None,
    bin_dirs: Sequence[Path] | None = None,
    state_dir: Path | None = None,
    private_port: int = DEFAULT_PRIVATE_PORT,
) -> Server:
    """Find or start a server, in the order of the module docstring.

    `env` defaults to os.environ; `users` to postgres and the current OS user; `bin_dirs` (where
    initdb/pg_ctl are looked for) to PATH then /usr/lib/postgresql/*/bin, newest first, and an
    empty list means "look nowhere"; `state_dir` to ``<project>/.local``.
    """
    env = os.environ if env is None else env
    tried: list[str] = []

    given = env.get(ENV_URL)
    if given:
        _check_url(given, ENV_URL)
        admin = given if database_of(given) else with_database(given, "postgres")
        return Server(source="env", admin_url=admin, given_url=given)
    tried.append(f"{ENV_URL} is not set")

    failures = []
    for user in _trust_users(users):
        url = make_url(user, host, port, "postgres")
        why = _can_connect(url)
        if why is None:
            return Server(source="local", admin_url=url)
        failures.append(f"as role {user!r}: {why}")
    tried.append(f"no server at {host}:{port} let us in without a password ({'; '.join(failures)})")

    state = state_dir if state_dir is not None else project_root(env=env) / ".local"
    dirs = default_bin_dirs(env) if bin_dirs is None else [Path(d) for d in bin_dirs]
    cluster = PrivateCluster(state)
    bins = cluster.pick_binaries(dirs)
    if bins is None:
        searched = ", ".join(str(d) for d in dirs) if dirs else "nowhere (empty search path)"
        tried.append(
            f"no initdb and pg_ctl for a private cluster in {state / 'pgdata'} (searched {searched})"
        )
        raise StoreError(
            "No PostgreSQL server found, and none could be started. Tried, in order: "
            + "; ".join(f"({i}) {t}" for i, t in enumerate(tried, 1))
            + ". To fix this, either install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`), "
            f"which gives a server on {DEFAULT_HOST}:{DEFAULT_PORT} or at least initdb/pg_ctl for a private "
            f"cluster, or set {ENV_URL}=postgresql://USER@HOST:PORT/DBNAME to use a server you have "
            "(its password in PGPASSWORD or ~/.pgpass)."
        )
    try:
        used_port = cluster.start(bins, private_port)
    except StoreError as exc:
        raise StoreError(
            f"No usable PostgreSQL server: {'; '.join(tried)}; and starting a private cluster failed: {exc}"
        ) from exc
    return Server(
        source="private",
        admin_url=make_url(cluster.superuser, DEFAULT_HOST, used_port, "postgres"),
        pgdata=cluster.pgdata,
    )


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def _admin_connection(server: Server) -> Iterator:
    """An autocommit connection to the server, for CREATE/DROP DATABASE."""
    candidates = [server.admin_url]
    if database_of(server.admin_url) != "postgres":
        candidates.append(server.url_for("postgres"))
    errors = []
    for url in candidates:
        try:
            conn = connect(url)
        except psycopg2.Error as exc:
            errors.append(f"{mask_url(url)}: {_first_line(exc)}")
            continue
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.close()
        return
    raise StoreError(f"Could not connect to {server.describe()} to manage databases: {'; '.join(errors)}.")


def create_database(server: Server, name: str) -> bool:
    """Create database `name` unless it exists; True when it was created."""
    _check_identifier(name, "the database name")
    with _admin_connection(server) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone():
            return False
        try:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg2.errors.DuplicateDatabase:
            return False  # created meanwhile by someone else: fine
        except psycopg2.Error as exc:
            raise StoreError(
                f"Could not create database {name!r} on {server.describe()}: {_first_line(exc)}. "
                "The role needs the CREATEDB privilege, or create the database yourself."
            ) from exc
    return True


def drop_database(server: Server, name: str) -> None:
    """Drop database `name` if it exists, ending its other sessions first."""
    _check_identifier(name, "the database name")
    with _admin_connection(server) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def ensure_database(server: Server, name: str) -> str:
    """Make sure the project database exists on `server`; its URL (no password added)."""
    url = server.project_url(name)
    dbname = database_of(url) or name
    if server.source == "env":
        why = _can_connect(url)
        if why is None:
            return url  # the given database is there: nothing to create, and maybe no right to
        if "does not exist" not in why:
            raise StoreError(
                f"{ENV_URL} is set to {mask_url(url)}, but connecting to it failed: {why}. Check that the "
                "server runs and the URL is right; a password goes in PGPASSWORD or ~/.pgpass (or the URL)."
            )
    create_database(server, dbname)
    why = _can_connect(url)
    if why is not None:
        raise StoreError(
            f"Database {dbname!r} exists on {server.describe()} but connecting to it failed: {why}."
        )
    return url


def project_database(env: Mapping[str, str] | None = None, **find_kwargs) -> tuple[Server, str]:
    """Find/start the server and make sure the project database exists: (server, its URL)."""
    server = find_server(env=env, **find_kwargs)
    return server, ensure_database(server, database_name(env))


# --------------------------------------------------------------------------- the private cluster


def default_bin_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """PATH's folders, then /usr/lib/postgresql/*/bin with the newest version first."""
    env = os.environ if env is None else env
    dirs = [Path(p) for p in env.get("PATH", "").split(os.pathsep) if p]

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)

    dirs += sorted((Path(p) for p in glob.glob(POSTGRES_LIB_GLOB)), key=version, reverse=True)
    return dirs


@dataclass(frozen=True)
class PgBinaries:
    """A folder holding initdb and pg_ctl of one PostgreSQL version."""

    bindir: Path
    major: int

    @property
    def initdb(self) -> str:
        return str(self.bindir / "initdb")

    @property
    def pg_ctl(self) -> str:
        return str(self.bindir / "pg_ctl")


def find_binaries(dirs: Sequence[Path]) -> list[PgBinaries]:
    """Every folder of `dirs` with both initdb and pg_ctl, in the order given, symlinks resolved."""
    found: list[PgBinaries] = []
    seen: set[Path] = set()
    for d in dirs:
        initdb, pg_ctl = d / "initdb", d / "pg_ctl"
        if not (os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK)):
            continue
        real = Path(os.path.realpath(pg_ctl)).parent
        if real in seen or not os.access(real / "initdb", os.X_OK):
            continue
        seen.add(real)
        major = _major_version(real / "pg_ctl")
        if major is not None:
            found.append(PgBinaries(real, major))
    return found


def _major_version(pg_ctl: Path) -> int | None:
    try:
        out = subprocess.run([str(pg_ctl), "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((DEFAULT_HOST, port))
        except OSError:
            return False
    return True


def free_port(preferred: int = DEFAULT_PRIVATE_PORT, tries: int = 100) -> int:
    """`preferred` if free on 127.0.0.1, else the next free one above it, else any free port."""
    for port in range(preferred, min(preferred + tries, 65536)):
        if _port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((DEFAULT_HOST, 0))
        return s.getsockname()[1]


class PrivateCluster:
    """A PostgreSQL cluster of our own under `state_dir` (normally ``<project>/.local``)."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir).resolve()
        self.pgdata = self.state_dir / "pgdata"
        self.sockdir = self.state_dir / "pgsock"
        self.logfile = self.state_dir / "pg.log"
        self.lockfile = self.state_dir / "pg.lock"

    @cached_property
    def _owner(self) -> pwd.struct_passwd | None:
        """The OS user that runs initdb/pg_ctl: None (ourselves) unless we are root."""
        return _owner_for_postgres()

    @property
    def superuser(self) -> str:
        """The role initdb creates: the OS user that runs the server."""
        return self._owner.pw_name if self._owner else getpass.getuser()

    def is_initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()

    def data_version(self) -> int | None:
        try:
            return int((self.pgdata / "PG_VERSION").read_text().strip().split(".")[0])
        except (OSError, ValueError):
            return None

    def pick_binaries(self, dirs: Sequence[Path]) -> PgBinaries | None:
        """The first binaries found, or for an existing cluster the first of its version."""
        found = find_binaries(dirs)
        want = self.data_version()
        if want is not None:
            matching = [b for b in found if b.major == want]
            if found and not matching:
                raise StoreError(
                    f"The private cluster in {self.pgdata} was made by PostgreSQL {want}, but only "
                    f"PostgreSQL {', '.join(str(b.major) for b in found)} binaries were found "
                    f"({', '.join(str(b.bindir) for b in found)}). Install PostgreSQL {want}, or stop and "
                    f"delete {self.pgdata} to start afresh (its data is lost)."
                )
            found = matching
        return found[0] if found else None

    # -- running commands as the cluster's owner

    def _run(self, args: list[str], what: str, timeout: float = PG_CTL_TIMEOUT + 30) -> str:
        kwargs: dict = {}
        env = dict(os.environ)
        if self._owner is not None:  # root: run as the postgres OS user
            kwargs.update(
                user=self._owner.pw_uid,
                group=self._owner.pw_gid,
                extra_groups=os.getgrouplist(self._owner.pw_name, self._owner.pw_gid),
            )
            env.update(HOME=self._owner.pw_dir, USER=self._owner.pw_name, LOGNAME=self._owner.pw_name)
        try:
            done = subprocess.run(
                args,
                cwd="/",
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                **kwargs,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise StoreError(f"{what} failed: could not run {args[0]}: {exc}.") from exc
        if done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip())[-1500:]
            hint = ""
            if "ermission denied" in output and self._owner is not None:
                hint = (
                    f" The {self._owner.pw_name} OS user must be able to reach {self.state_dir}: "
                    "every folder above it needs the o+x permission."
                )
            log = f" See {self.logfile}." if what.startswith("starting") else ""
            raise StoreError(
                f"{what} failed: `{shlex.join(args)}` exited {done.returncode}: {output}.{hint}{log}"
            )
        return done.stdout

    def _prepare_paths(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for d in (self.pgdata, self.sockdir):
            d.mkdir(mode=0o700, exist_ok=True)
        self.logfile.touch(exist_ok=True)
        if self._owner is not None:
            for p in (self.pgdata, self.sockdir, self.logfile):
                if p.stat().st_uid != self._owner.pw_uid:
                    os.chown(p, self._owner.pw_uid, self._owner.pw_gid)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One process at a time initialises, starts or stops this cluster."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lockfile, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- life cycle

    def running_port(self, bins: PgBinaries) -> int | None:
        """The port of the running server, or None when it is not running."""
        if not self.is_initialised():
            return None
        try:
            self._run([bins.pg_ctl, "status", "-D", str(self.pgdata)], "checking the private cluster", 30)
        except StoreError:
            return None
        try:
            return int((self.pgdata / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return None

    def start(self, bins: PgBinaries, preferred_port: int = DEFAULT_PRIVATE_PORT) -> int:
        """Initialise (once) and start the cluster unless it runs; the port it listens on."""
        with self._locked():
            port = self.running_port(bins)
            if port is not None:
                return port
            self._prepare_paths()
            if not self.is_initialised():
                self._run(
                    [
                        bins.initdb,
                        "-D",
                        str(self.pgdata),
                        "-U",
                        self.superuser,
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ],
                    f"initialising a private PostgreSQL cluster in {self.pgdata}",
                )
            port = free_port(preferred_port)
            options = f"-p {port} -k {shlex.quote(str(self.sockdir))} -c listen_addresses={DEFAULT_HOST}"
            self._run(
                [
                    bins.pg_ctl,
                    "start",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    str(PG_CTL_TIMEOUT),
                    "-o",
                    options,
                ],
                f"starting the private PostgreSQL cluster in {self.pgdata} on port {port}",
            )
            return port

    def stop(self, bins: PgBinaries) -> bool:
        """Stop the cluster; False when it was not running."""
        with self._locked():
            if self.running_port(bins) is None:
                return False
            self._run(
                [bins.pg_ctl, "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(PG_CTL_TIMEOUT)],
                f"stopping the private PostgreSQL cluster in {self.pgdata}",
            )
            return True


def _owner_for_postgres() -> pwd.struct_passwd | None:
    """The OS user to run initdb/pg_ctl as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise StoreError(
            "Running as root, and PostgreSQL refuses to run as root, but there is no 'postgres' OS user "
            "to run a private cluster as. Create one (`useradd --system postgres`), run as a normal user, "
            f"or set {ENV_URL} to a server you have."
        ) from None


def stop_private_cluster(
    state_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    bin_dirs: Sequence[Path] | None = None,
) -> str:
    """Stop the private cluster if it runs; a sentence saying what happened."""
    state = state_dir if state_dir is not None else project_root(env=env) / ".local"
    cluster = PrivateCluster(state)
    if not cluster.is_initialised():
        return f"No private cluster in {cluster.pgdata}: nothing to stop."
    dirs = default_bin_dirs(env) if bin_dirs is None else [Path(d) for d in bin_dirs]
    bins = cluster.pick_binaries(dirs)
    if bins is None:
        searched = ", ".join(map(str, dirs)) or "nowhere"
        raise StoreError(
            f"A private cluster exists in {cluster.pgdata}, but no pg_ctl for PostgreSQL "
            f"{cluster.data_version()} was found to stop it (searched {searched})."
        )
    if cluster.stop(bins):
        return f"Stopped the private cluster in {cluster.pgdata}."
    return f"The private cluster in {cluster.pgdata} is not running."
