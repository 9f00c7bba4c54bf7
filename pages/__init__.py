"""Dash pages. Each module has PAGE (path, nav key, icon, roles), `layout(ctx, **path_vars)` and
`register_callbacks(app)`; app.py registers them, so several apps can live in one process (tests)."""
