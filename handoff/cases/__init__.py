"""Cases: what a handoff request becomes, with notes, callbacks and a full event history."""
