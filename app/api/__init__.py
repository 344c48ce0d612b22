"""The HTTP API: routers per area (app.api.routes), their dependencies (app.api.deps), request and
response models (checked fields: app.api.fields). app.service.create_app wires them into one FastAPI app."""
