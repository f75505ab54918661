"""``aoizora model``: facts about a model (params, tokens, FLOPs) and its parallel candidates.

  aoizora model info --model wan2.1-t2v-14b --resolution 720p [--frames 81] [--json]
  aoizora model candidates --model wan2.1-t2v-1.3b --chips 8 [--resolution 480p --frames 81]

FLOPs are the reference formula of shared/reference/wan21.md (matmuls only, 2 per multiply-add),
not a measurement. No JAX is imported.
"""

from __future__ import annotations

import argparse

from aoizora.cli._common import console, int_arg, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "model",
        help="model facts (params, tokens, FLOPs) and valid parallel candidates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="model_command", metavar="SUBCOMMAND")
    info = sub.add_parser("info", help="parameters, latent/token counts and FLOPs per step")
    info.add_argument("--model", required=True, help="model name (see 'model candidates -h')")
    info.add_argument("--resolution", required=True, help="480p, 720p (tiny models: tiny)")
    info.add_argument(
        "--frames",
        type=int_arg("--frames", hi=None),
        default=81,
        help="video frames, 4k+1 (default 81)",
    )
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(run=run_info)
    cands = sub.add_parser("candidates", help="every valid parallel candidate on N chips")
    cands.add_argument("--model", required=True)
    cands.add_argument(
        "--chips", type=int_arg("--chips", hi=None), required=True, help="number of chips (devices)"
    )
    cands.add_argument(
        "--resolution",
        default="480p",
        help="the video (with --frames) whose token count bounds the sequence degree",
    )
    cands.add_argument(
        "--frames", type=int_arg("--frames", hi=None), default=81, help="4k+1 (default 81)"
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
    from aoizora.models import model_info

    info = model_info(args.model, args.resolution, args.frames)
    if args.json:
        print_json(info)
        return 0
    c = console()
    c.print(f"[bold]{info['model']}[/bold] at {args.resolution}, {info['frames']} frames")
    rows = [
        ("parameters", f"{info['params']:,} ({info['params'] / 1e9:.3f} B)"),
        ("bf16 weights", f"{info['weight_bytes_bf16'] / 1e9:.2f} GB"),
        ("latent (C, T, H, W)", str(tuple(info["latent_shape"]))),
        ("token grid (f, h, w)", str(tuple(info["token_grid"]))),
        ("tokens", f"{info['tokens']:,}"),
        ("context tokens", str(info["context_tokens"])),
        ("FLOPs per block", f"{info['flops_per_block'] / 1e12:.2f} TFLOP"),
        ("FLOPs per forward", f"{info['flops_per_forward'] / 1e15:.3f} PFLOP"),
        ("FLOPs per step (2 CFG passes)", f"{info['flops_per_step'] / 1e15:.3f} PFLOP"),
    ]
    for key, value in rows:
        c.print(f"  {key:<30} {value}")
    c.print(f"  ({info['flops_note']})")
    return 0


def run_candidates(args: argparse.Namespace) -> int:
    from aoizora.models import Candidate, candidates, model_info
    from aoizora.models.strategies import validate

    tokens = model_info(args.model, args.resolution, args.frames)["tokens"]
    if args.candidate is not None:
        one = Candidate.parse(args.candidate)
        validate(args.model, args.chips, one, tokens)
        found = [one]
    else:
        found = candidates(args.model, args.chips, tokens)
    if args.json:
        print_json([cand.to_json() for cand in found])
        return 0
    c = console()
    c.print(
        f"[bold]{len(found)}[/bold] candidates for {args.model} on {args.chips} chips "
        f"({args.resolution}, {args.frames} frames: {tokens:,} tokens)"
    )
    for cand in found:
        degrees = ", ".join(f"{n}={d}" for n, d in cand.degrees) or "single device"
        weights = ",".join(cand.weight_sharding) or "replicated"
        c.print(f"  {degrees:<36} weights: {weights}")
    return 0
