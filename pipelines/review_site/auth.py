"""Who is reviewing: the users file, password hashes, signed session cookies and CSRF tokens.

* **Users file** (`<data_dir>/reviews/users.txt` unless `--users`): one reviewer per line,
  ``name:hash``, the password hashed with Argon2id (argon2-cffi); ``#`` starts a comment. The
  name is what decisions record as ``decided_by``. `python -m pipelines review adduser NAME`
  adds or replaces a line. The file is read again when it changes, so a removed reviewer's
  session stops working at the next request.
* **Without a users file** the site only binds a loopback address; its sign-in page then asks
  for a name and no password (anyone on the machine can already append a decision with
  `review decide --by`). Any other address refuses to start without a users file.
* **Sessions**: a cookie signed with itsdangerous (HMAC, secret kept in
  `<data_dir>/reviews/site_secret`, mode 0600), ``HttpOnly``, ``SameSite=Strict``; it carries
  the name, the time of sign-in and the CSRF token, and expires `session_seconds` after sign-in.
* **CSRF**: every form carries the session's token; a POST without the same token is refused
  (403). The sign-in form has a pre-session cookie with its own token.
"""
from __future__ import annotations

import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_COOKIE = "fw_review_session"
DEFAULT_SESSION_SECONDS = 8 * 3600
_NAME = re.compile(r"[^:\s#][^:\n\r\t]{0,63}")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class AuthError(Exception):
    """A users file that cannot be used, a bad name: one line."""


def users_file(data_dir: Path) -> Path:
    return Path(data_dir) / "reviews" / "users.txt"


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not _NAME.fullmatch(name):
        raise AuthError("a reviewer's name is 1 to 64 characters, without ':' or '#' at the start, "
                        "on one line")
    return name


def read_users(path: Path) -> dict[str, str]:
    """name -> hash; comments and blank lines skipped; a line that is not `name:hash` is an error."""
    users: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if not sep or not hashed.startswith("$argon2"):
            raise AuthError(f"{path}:{number}: not 'name:argon2 hash' (add reviewers with "
                            "`python -m pipelines review adduser NAME`)")
        users[name.strip()] = hashed.strip()
    return users


def add_user(path: Path, name: str, password: str) -> bool:
    """Add or replace the reviewer `name`; returns True when the name was new."""
    name = check_name(name)
    if len(password) < 8:
        raise AuthError("a password has at least 8 characters")
    path = Path(path)
    users = read_users(path) if path.is_file() else {}
    new = name not in users
    users[name] = _hasher().hash(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# reviewers of the review site: name:argon2id hash (python -m pipelines review adduser)\n"
    text += "".join(f"{n}:{h}\n" for n, h in users.items())
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return new


def site_secret(data_dir: Path) -> bytes:
    """The signing key of the session cookies, made once per data folder (mode 0600)."""
    path = Path(data_dir) / "reviews" / "site_secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class Session:
    user: str | None  # None: not signed in (a pre-session for the sign-in form)
    csrf: str
    signed_in_at: float


class Authenticator:
    """Checks passwords against the users file (or takes a name, without one) and signs sessions."""

    def __init__(self, secret: bytes, users_path: Path | None, session_seconds: int = DEFAULT_SESSION_SECONDS):
        from itsdangerous import URLSafeTimedSerializer

        self._serializer = URLSafeTimedSerializer(secret, salt="fw-review-session")
        self.users_path = Path(users_path) if users_path else None
        self.session_seconds = int(session_seconds)
        self._users: dict[str, str] = {}
        self._users_stamp: tuple | None = None
        self._lock = threading.Lock()
        # a hash to verify against for an unknown name, so its answer takes as long
        self._dummy = _hasher().hash(secrets.token_hex(16))
        if self.users_path is not None:
            self.users()  # a broken file is an error at start

    @property
    def with_passwords(self) -> bool:
        return self.users_path is not None

    def users(self) -> dict[str, str]:
        if self.users_path is None:
            return {}
        stat = self.users_path.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._users_stamp:
                self._users = read_users(self.users_path)
                self._users_stamp = stamp
            return self._users

    def authenticate(self, name: str, password: str) -> str | None:
        """The reviewer's name when the sign-in is good, else None."""
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        try:
            name = check_name(name)
        except AuthError:
            return None
        if not self.with_passwords:
            return name
        hashed = self.users().get(name)
        try:
            _hasher().verify(hashed or self._dummy, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return name if hashed else None

    def new_session(self, user: str | None) -> Session:
        return Session(user=user, csrf=secrets.token_urlsafe(32), signed_in_at=time.time())

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps({"u": session.user, "c": session.csrf, "t": session.signed_in_at})

    def loads(self, cookie: str | None) -> Session | None:
        """The session of a cookie, or None when it is absent, forged, expired or its reviewer
        is no longer in the users file."""
        from itsdangerous import BadSignature

        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self.session_seconds)
            session = Session(user=data["u"], csrf=str(data["c"]), signed_in_at=float(data["t"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if time.time() - session.signed_in_at > self.session_seconds:
            return None
        if session.user is not None and self.with_passwords and session.user not in self.users():
            return None
        return session

    @staticmethod
    def csrf_ok(session: Session | None, token: str | None) -> bool:
        return bool(session and token and hmac.compare_digest(session.csrf, str(token)))
