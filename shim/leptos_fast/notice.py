"""What the shim tells people about telemetry. The full text is shown before consent is recorded."""

from __future__ import annotations

# Served by the service itself (docs/telemetry.md of this repo, at /docs/telemetry/).
TELEMETRY_DOC_URL = "https://pitwall.leptos.dev/docs/telemetry/"

SHORT_NOTICE = f"""\
leptos-fast: telemetry is off, and nothing is sent unless you turn it on (`leptos-fast telemetry on`).
  With your consent the shim sends anonymous build and hot-reload timings (no paths, names or source code)
  to help decide when fast mode is ready for everyone. Details: {TELEMETRY_DOC_URL}
  (This note is shown once.)
"""

FULL_NOTICE = f"""\
leptos-fast telemetry

When you turn it on, the shim records for each build, rebuild and hot reload made through it:
  - what ran: the cargo-leptos command (build, watch, serve, test, end-to-end), normal or fast mode, the
    fast-mode settings variant, dev or release profile;
  - how it went: success, failure or interrupted, the duration, how many crates were compiled, and for hot
    reloads what triggered them and how long the patch and reload took;
  - the setting: versions of the shim, cargo-leptos, rustc and leptos, the toolchain channel, OS and CPU
    architecture, CPU count, memory rounded to 4/8/16/32/64/128+ GB, the number of packages in Cargo.lock
    and of workspace members, the linker named in the fast-mode settings;
  - random ids: one per event, one per shim run, and the installation's own id.
Never sent: paths, file or crate names, user or host names, source code, environment variables.

Events are queued locally, uploaded in the background after a build, and kept no longer than 14 days.
See them with `leptos-fast telemetry show`; LEPTOS_FAST_TELEMETRY_DEBUG=1 prints them instead of sending.
Nothing is sent when DO_NOT_TRACK is set or in CI. `leptos-fast telemetry off` stops it;
`leptos-fast forget` also deletes everything the service holds about this installation.
Full description: {TELEMETRY_DOC_URL}
"""
