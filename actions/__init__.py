"""Custom actions run by the Rasa action server (rasa_sdk)."""

from institutions import production_profile_problem

# The action server is where the profile's facts become sentences: in production it refuses to start with the
# fictional example profile, as the handoff service does.
_problem = production_profile_problem()
if _problem is not None:
    raise SystemExit(f"the action server refuses to start: {_problem}")
