"""The HTTP API: routers per area (app.api.routes), their dependencies (app.api.deps), request validation
and response models. app.service.create_app wires them into one FastAPI app."""
