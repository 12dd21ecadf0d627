"""Cross-cutting machinery every app may use and that knows no app: the claim/retry queue, the
periodic-task registry, CSV writing, SVG chart primitives, timezone helpers (docs/architecture.md,
"Layers"). It imports no other kshare app."""
