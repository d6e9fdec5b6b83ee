"""Entry point: ``phalanx serve | migrate sql | identities ... | courier watch |
cleanup sql | hashers argon2 ... | version``."""

from __future__ import annotations

import click

from phalanx import __version__

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Phalanx: an identity server that speaks the Ory Kratos API."""


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(f"Version:    v{__version__}")


def _register() -> None:
    from phalanx.cli import courier as courier_cli
    from phalanx.cli import migrate, serve

    cli.add_command(serve.serve)
    cli.add_command(migrate.migrate)
    cli.add_command(courier_cli.courier)
    from phalanx.cli import audit, cleanup, hashers

    cli.add_command(audit.audit)
    cli.add_command(cleanup.cleanup)
    cli.add_command(hashers.hashers)
    try:
        from phalanx.cli import identities
    except ImportError:  # pragma: no cover - during bootstrap only
        return
    identities.register(cli)


_register()


def main() -> None:
    cli(prog_name="phalanx")


if __name__ == "__main__":
    main()
