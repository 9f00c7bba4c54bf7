"""Scheduled computations. A job is `run(engine, now) -> summary dict`, safe to re-run; the
scheduler only wires triggers to it (DESIGN.md section 2)."""
