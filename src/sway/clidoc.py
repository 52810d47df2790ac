"""The CLI reference in the README, generated from ``sway --help`` so it cannot drift.

``python -m sway.clidoc --write README.md`` rewrites the block between the markers;
a test fails when the README's block differs from what this renders.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import click

__all__ = ["END", "START", "render", "replace_block"]

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"


def _walk(ctx: click.Context) -> list[click.Context]:
    found = [ctx]
    command = ctx.command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found.extend(_walk(click.Context(sub, info_name=name, parent=ctx)))
    return found


def render() -> str:
    """Markdown: one section per command with its ``--help`` text, at a fixed width."""
    from sway.cli import cli

    root = click.Context(
        cli,
        info_name="sway",
        terminal_width=100,
        max_content_width=100,
        help_option_names=["-h", "--help"],
    )
    parts = [
        f"### `{ctx.command_path}`\n\n```text\n{ctx.get_help().rstrip()}\n```\n"
        for ctx in _walk(root)
    ]
    return "\n".join(parts)


def replace_block(text: str, block: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"markers {START} ... {END} not found")
    return pattern.sub(lambda _: f"{START}\n{block}{END}", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="rewrite the reference block in this file")
    args = parser.parse_args()
    block = render()
    if args.write:
        args.write.write_text(
            replace_block(args.write.read_text(encoding="utf-8"), block), encoding="utf-8"
        )
    else:
        print(block)


if __name__ == "__main__":
    main()
