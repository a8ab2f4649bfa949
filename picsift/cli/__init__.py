"""The ``picsift`` command: parse arguments, call a service, format the result.

Exit codes: 0 done; 1 done, but some files could not be indexed or described (listed);
2 could not run (bad arguments, missing weights, store problems); 130 interrupted.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="picsift",
    help="Self-hosted image search and categorization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from picsift.cli import (
        categories,
        edit,
        evaluate,
        export,
        generated,
        library,
        models,
        search,
        serve,
        watch,
    )

    for module in (library, search, generated, categories, edit, export, watch, serve):
        for command in module.COMMANDS:
            app.command()(command)
    app.add_typer(models.models_app, name="models")
    app.add_typer(evaluate.eval_app, name="eval")


_register()


def main() -> None:
    app()
