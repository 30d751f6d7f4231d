"""ASGI entry point for uvicorn or any other server: ``tsunagu.asgi:app``."""

from tsunagu.app import create_app

app = create_app()
