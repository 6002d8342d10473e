"""Treatment summaries, charts and the clinic outcomes dashboard."""
