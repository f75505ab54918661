"""``aoizora model``: facts about a model (params, tokens, FLOPs) and its parallel candidates.

  aoizora model info --model wan2.1-t2v-14b --resolution 720p [--frames 81] [--json]
  aoizora model info --model flux.1-dev --resolution 1024 [--batch 4] [--json]
  aoizora model candidates --model wan2.1-t2v-1.3b --chips 8 [--resolution 480p --frames 81]

FLOPs are each family's reference formula worked out from its configuration (matmuls, 2 per
multiply-add), not a measurement. No JAX is imported.
"""

from __future__ import annotations

import argparse

from aoizora.cli._common import add_model_arguments, console, int_arg, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "model",
        help="model facts (params, tokens, FLOPs) and valid parallel candidates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="model_command", metavar="SUBCOMMAND")
    info = sub.add_parser("info", help="parameters, token counts and FLOPs per step")
    add_model_arguments(info, default_model=None)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(run=run_info)
    cands = sub.add_parser("candidates", help="every valid parallel candidate on N chips")
    add_model_arguments(cands, default_model=None)
    cands.add_argument(
        "--chips", type=int_arg("--chips", hi=None), required=True, help="number of chips (devices)"
    )
    cands.add_argument(
        "--candidate",
        help="check one candidate instead of listing, e.g. 'cfg=2,ulysses=4|w:ulysses'",
    )
    cands.add_argument("--json", action="store_true", help="machine-readable output")
    cands.set_defaults(run=run_candidates)
    p.set_defaults(run=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_info(args: argparse.Namespace) -> int:
    from aoizora.models import family_of

    family = family_of(args.model)
    scenario = family.scenario(args.model, args.resolution, args.frames, args.batch)
    info = family.info(scenario)
    if args.json:
        print_json(info)
        return 0
    c = console()
    c.print(f"[bold]{info['model']}[/bold] at {_scenario_words(scenario)}")
    for key, value in family.info_rows(info):
        c.print(f"  {key:<30} {value}")
    c.print(f"  ({info['flops_note']})")
    return 0


def _scenario_words(scenario) -> str:
    words = [scenario.resolution]
    if scenario.frames is not None:
        words.append(f"{scenario.frames} frames")
    if scenario.batch != 1:
        words.append(f"batch {scenario.batch}")
    return ", ".join(words)


def run_candidates(args: argparse.Namespace) -> int:
    from aoizora.models import Candidate, family_of

    family = family_of(args.model)
    scenario = family.scenario(args.model, args.resolution, args.frames, args.batch)
    tokens = family.info(scenario)["tokens"]
    if args.candidate is not None:
        one = Candidate.parse(args.candidate)
        family.validate(scenario, args.chips, one)
        found = [one]
    else:
        found = family.candidates(scenario, args.chips)
    if args.json:
        print_json([cand.to_json() for cand in found])
        return 0
    c = console()
    c.print(
        f"[bold]{len(found)}[/bold] candidates for {args.model} on {args.chips} chips "
        f"({_scenario_words(scenario)}: {tokens:,} tokens)"
    )
    for cand in found:
        degrees = ", ".join(f"{n}={d}" for n, d in cand.degrees) or "single device"
        weights = ",".join(cand.weight_sharding) or "replicated"
        c.print(f"  {degrees:<36} weights: {weights}")
    return 0
