"""Institution profiles: the facts that differ between colleges, universities and schools.

A profile is a small YAML file in ``data/institutions/<id>.yml``. This package defines its
schema, validates it with clear errors (which file, which field, what is wrong) and loads it.
It is pure Python and does not depend on Rasa.
"""

from institutions.loader import (
    DEFAULT_INSTITUTION_ID,
    available_ids,
    default_directory,
    load_profile,
    load_profile_file,
    parse_profile,
    production_profile_problem,
)
from institutions.procedure import Appeal, Cited, Informal, Investigation, Procedure
from institutions.profile import (
    Contacts,
    Duration,
    InstitutionProfile,
    Nightline,
    OfficeHours,
    ProfileError,
    Reporting,
    Retention,
    Teams,
    Term,
    TimeLimit,
)

__all__ = [
    "DEFAULT_INSTITUTION_ID",
    "Appeal",
    "Cited",
    "Contacts",
    "Duration",
    "Informal",
    "InstitutionProfile",
    "Investigation",
    "Nightline",
    "OfficeHours",
    "Procedure",
    "ProfileError",
    "Reporting",
    "Retention",
    "Teams",
    "Term",
    "TimeLimit",
    "available_ids",
    "default_directory",
    "load_profile",
    "load_profile_file",
    "parse_profile",
    "production_profile_problem",
]
