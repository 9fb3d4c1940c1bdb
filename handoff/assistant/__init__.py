"""The assistant (Rasa) as the service speaks to it: one turn out, its replies back, or RasaUnavailable."""
