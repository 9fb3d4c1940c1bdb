"""Finding and loading institution profiles.

The profile in use is ``<INSTITUTIONS_DIR>/<INSTITUTION_ID>.yml``. Without those environment
variables the folder is ``data/institutions`` in this checkout and the id is ``example``.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from institutions.profile import ID_PATTERN, InstitutionProfile, ProfileError
from institutions.schema import parse_profile

DEFAULT_INSTITUTION_ID = "example"
ENV_ID = "INSTITUTION_ID"
ENV_DIR = "INSTITUTIONS_DIR"


def production_profile_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why a production process must not start with the profile it was given, or None.

    The ``example`` profile is fictional: its procedures, teams and numbers belong to no institution, and a
    student must never be told them as their own institution's policy.
    """
    env = os.environ if environ is None else environ
    if env.get("ENVIRONMENT", "").strip().lower() != "production":
        return None
    chosen = env.get(ENV_ID, "").strip() or DEFAULT_INSTITUTION_ID
    if chosen == DEFAULT_INSTITUTION_ID:
        return (f"INSTITUTION_ID is {chosen!r}, a fictional profile: in production set INSTITUTION_ID to your "
                "institution's own profile (see data/institutions/README.md)")
    try:
        profile = load_profile(chosen, env.get(ENV_DIR, "").strip() or None)
    except ProfileError:
        return None  # reported, with its problems, where the profile is used
    if profile.modelled_on is not None:
        return (f"INSTITUTION_ID is {chosen!r}, a fictional profile modelled on {profile.modelled_on.publisher}'s "
                "policy: copy it to your institution's own id, replace its names, contacts and facts with your own, "
                "and remove modelled_on (see data/institutions/README.md)")
    return None


def default_directory() -> Path:
    """The folder of profiles: ``INSTITUTIONS_DIR`` if set, else ``data/institutions`` here."""
    override = os.environ.get(ENV_DIR, "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data" / "institutions"


def available_ids(directory: str | Path | None = None) -> list[str]:
    """Ids of the profile files in the folder, sorted."""
    folder = Path(directory) if directory is not None else default_directory()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yml") if ID_PATTERN.match(p.stem))


_loaded: dict[str, tuple[tuple[int, int], InstitutionProfile]] = {}


def load_profile_file(path: str | Path) -> InstitutionProfile:
    """Read and validate one profile file. Raises ``ProfileError`` naming the file.

    A profile read before is reused while its file is unchanged (same modification time and size), so
    callers on a hot path (every handoff request asks about office hours) do not parse YAML each time.
    """
    path = Path(path)
    source = str(path)
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is not None:
        cached = _loaded.get(source)
        if cached is not None and cached[0] == (stat.st_mtime_ns, stat.st_size):
            return cached[1]
    profile = _read_profile_file(path, source)
    if stat is not None:
        _loaded[source] = ((stat.st_mtime_ns, stat.st_size), profile)
    return profile


def _read_profile_file(path: Path, source: str) -> InstitutionProfile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(source, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(source, [f"the file cannot be read ({exc.__class__.__name__}: {exc})"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ProfileError(source, [f"the file is not valid YAML{where}"]) from None
    profile = parse_profile(data, source=source)
    if profile.id != path.stem:
        raise ProfileError(source, [f"id: must match the file name {path.stem!r} (got {profile.id!r})"])
    return profile


def load_profile(
    institution_id: str | None = None, directory: str | Path | None = None
) -> InstitutionProfile:
    """Load the profile for ``institution_id`` (default: ``INSTITUTION_ID`` or ``example``)."""
    ident = (institution_id or os.environ.get(ENV_ID, "") or DEFAULT_INSTITUTION_ID).strip()
    folder = Path(directory) if directory is not None else default_directory()
    if not ID_PATTERN.match(ident):
        raise ProfileError(
            f"{ENV_ID}={ident!r}",
            ["an institution id must be lower-case letters, digits, '-' or '_' (it names a file)"],
        )
    path = folder / f"{ident}.yml"
    if not path.is_file():
        known = ", ".join(available_ids(folder)) or "none"
        raise ProfileError(str(path), [f"no profile called {ident!r} in {folder} (profiles there: {known})"])
    return load_profile_file(path)
