"""Fan-out of conversation events to whoever is listening (the student's socket, officer consoles), and the
other state that several workers must share: which officers are online, and one-at-a-time claims.

The in-memory versions serve one process. With several workers (REDIS_URL set), the Redis versions share it:
a student on one worker and an officer on another both see each event.

Events are stored in the database before they are published, so a listener that missed some (Redis was
restarting) catches up from the database: after reconnecting, the Redis hub gives every subscriber a
``{"type": "resync"}`` event, and the chat socket resends what its client has not had yet.
"""

from handoff.realtime.claims import Claims, RedisClaims, create_claims
from handoff.realtime.client import redis_client
from handoff.realtime.hub import RESYNC, RESYNC_TOPIC, Event, Hub, RedisHub, conversation_topic, create_hub
from handoff.realtime.presence import Presence, RedisPresence, create_presence

__all__ = [
    "RESYNC", "RESYNC_TOPIC", "Claims", "Event", "Hub", "Presence", "RedisClaims", "RedisHub", "RedisPresence",
    "conversation_topic", "create_claims", "create_hub", "create_presence", "redis_client",
]
