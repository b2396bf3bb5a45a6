"""ASGI entry point: `uvicorn consumo.asgi:app` / gunicorn with uvicorn-worker."""

from consumo.app import create_app

app = create_app()
