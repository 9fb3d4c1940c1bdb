"""The operator commands of each part of the service (`python -m handoff ...`): built on the domain, like the
console, and imported by the entry point alone."""
