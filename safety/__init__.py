"""Safety tools shared by the assistant and the handoff service.

Nothing here imports Rasa or FastAPI: the package installs in both environments.
"""
