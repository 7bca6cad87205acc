"""CLI."""
import click
from flask.cli import AppGroup
users_cli = AppGroup("users")
demo_cli = AppGroup("demo")
