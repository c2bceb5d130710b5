"""Start the review site (uvicorn) after checking what the address requires."""
from __future__ import annotations

from pathlib import Path

from expectations.review import ReviewError

from .auth import DEFAULT_SESSION_SECONDS, AuthError, is_loopback, users_file

DEFAULT_PORT = 8040
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def site_config(warehouse: Path, data_dir: Path, host: str = "127.0.0.1", users: Path | None = None,
                session_seconds: int = DEFAULT_SESSION_SECONDS, allowed_hosts: list[str] | None = None,
                secure_cookie: bool = False):
    """The site's configuration; a non-loopback address without a users file is refused."""
    from .app import SiteConfig

    users_path = Path(users) if users else users_file(data_dir)
    if users and not users_path.is_file():
        raise ReviewError(f"users file '{users_path}' not found: add a reviewer with "
                          "`python -m pipelines review adduser NAME --users FILE`")
    if not users_path.is_file():
        users_path = None
    if not is_loopback(host) and users_path is None:
        raise ReviewError(
            f"--host {host} is reachable from other machines: it requires a users file "
            f"({users_file(data_dir)}, or --users FILE); add reviewers with "
            "`python -m pipelines review adduser NAME`, or serve on 127.0.0.1")
    if allowed_hosts:
        hosts = list(allowed_hosts)
    elif is_loopback(host):
        hosts = sorted({host, *LOOPBACK_NAMES})
    else:
        hosts = ["*"] if host in ("0.0.0.0", "::") else [host]
    return SiteConfig(warehouse=Path(warehouse), data_dir=Path(data_dir), users_path=users_path,
                      session_seconds=int(session_seconds), allowed_hosts=hosts, secure_cookie=secure_cookie)


def serve(config, host: str = "127.0.0.1", port: int = DEFAULT_PORT, announce=print) -> None:
    import uvicorn

    from .app import create_app

    try:
        app = create_app(config)
    except AuthError as exc:
        raise ReviewError(str(exc)) from None
    shown = f"[{host}]" if ":" in host else host
    announce(f"review site: http://{shown}:{port}/ (published warehouse {config.warehouse}, read-only; "
             f"decisions {config.data_dir / 'reviews' / 'decisions.jsonl'}; "
             f"{'users file ' + str(config.users_path) if config.users_path else 'no users file: this machine only'})")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
