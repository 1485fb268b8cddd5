"""The command-line reference of `tryvox-sim` and `tryvox-contract`, from their own argument parsers."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from unittest import mock

from .common import ROOT, banner, page, source_link, table

# Defaults some flags read from the environment at parse time: the page shows the defaults of a clean one.
ENVIRONMENT = ("TVX_BASE_URL", "PORT", "TVX_SIM_RATE_LIMIT", "TVX_SIM_PUBLIC_URL", "TVX_SIM_CORS")
WIDTH = 100


class _Built(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__("parser built")
        self.parser = parser


def built_parser(parse_args: Callable[[Sequence[str]], object]) -> argparse.ArgumentParser:
    """The parser a command's `parse_args(argv)` builds, caught as it starts parsing (before any argument is read)."""

    def catch(parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Built(parser)

    clean = {name: value for name, value in os.environ.items() if name not in ENVIRONMENT}
    with mock.patch.dict(os.environ, clean, clear=True):
        with mock.patch.object(argparse.ArgumentParser, "parse_args", catch):
            try:
                parse_args([])
            except _Built as built:
                return built.parser
    raise RuntimeError("parse_args never parsed")


def _default(action: argparse.Action) -> str:
    if action.default is None or action.default is False or action.default == argparse.SUPPRESS or action.required:
        return ""
    shown = str(action.default)
    if shown.startswith(str(ROOT)):  # a file the package carries: named as in the repository
        shown = shown[len(str(ROOT)) + 1 :]
    return f"`{shown}`"


def _argument(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices:
        return ", ".join(f"`{choice}`" for choice in action.choices)
    name = action.metavar or action.dest.upper()
    return f"`{name} …`" if action.nargs in ("+", "*") else f"`{name}`"


def _options(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:  # argparse keeps no public list of them
        if isinstance(action, argparse._SubParsersAction) or not action.option_strings:
            continue
        flags = ", ".join(f"`{flag}`" for flag in action.option_strings)
        rows.append(
            [
                flags,
                _argument(action),
                _default(action),
                ("required; " if action.required else "") + (action.help or ""),
            ]
        )
    return table(["option", "argument", "default", "what it does"], rows)


def _command(title: str, parser: argparse.ArgumentParser, level: str) -> list[str]:
    usage = parser.formatter_class(prog=parser.prog, width=WIDTH)  # the terminal's width would vary
    usage.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    lines = [f"{level} `{title}`", "", "```text", usage.format_help().strip(), "```", ""]
    if parser.description:
        lines += [parser.description, ""]
    lines += [*_options(parser), ""]
    if parser.epilog:
        lines += [parser.epilog, ""]
    return lines


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _page(name: str, parse_args: Callable[[Sequence[str]], object], source: str, intro: str) -> str:
    parser = built_parser(parse_args)
    lines = banner(f"`{name}`", f"the argument parser in `{source}`", intro)
    lines += _command(name, parser, "##")
    for sub, subparser in _subcommands(parser).items():
        lines += _command(f"{name} {sub}", subparser, "##")
    lines.append(f"Source: {source_link(source)}.")
    return page(lines)


def tryvox_sim() -> str:
    from tryvox_sim import cli

    intro = (
        "The simulator's command: `serve` runs the simulated API with its control plane, `proxy` checks real "
        "traffic against the spec. Flags that have a variable read it as their default ([Environment "
        "variables](environment.md)); a bad flag is one line on stderr and exit status 2."
    )
    return _page("tryvox-sim", cli.parse_args, "tryvox_sim/cli.py", intro)


def tryvox_contract() -> str:
    from tryvox_contract import cli

    intro = (
        "The contract suite's command: what `make contract`, the container image `tryvox-contract` and the GitHub "
        "Action run. A flag that has a variable sets it for the run ([Environment variables](environment.md)); the "
        "API token is `TVX_API_TOKEN` alone, never a flag."
    )
    return _page("tryvox-contract", cli.parse_args, "contract_tests/tryvox_contract/cli.py", intro)
