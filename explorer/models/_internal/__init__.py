"""The models' shared machinery, not part of the scripting API: `memo` (settings snapshots and the
memo of results computed from them) and `locks` (one lock per explorer, for a dashboard's callbacks
that Panel may run at once)."""
