#!/usr/bin/env python3
"""Seeded generator of matching instances in the shared benchmark format: pitches asking for small
groups with an optional role mix, solvers with a role and a capacity, and for each pitch a random
set of candidate solvers with integer affinity weights.

generate.py --pitches 300 --solvers 3000 --degree 50 --seed 1 --out regional.json
"""
import argparse
import json
import random

ROLES = ("researcher", "startup", "student", "mentor", "specialist")
ROLE_MIXES = ({}, {"researcher": 1}, {"researcher": 1, "startup": 1}, {"startup": 2}, {"mentor": 1})


def instance(pitches: int, solvers: int, degree: int, role_bonus: int, seed: int) -> dict:
    rng = random.Random(seed)
    solver_list = [
        {"id": f"solver-{n}", "role": rng.choice(ROLES), "capacity": rng.choice((1, 1, 1, 2, 2, 3))}
        for n in range(solvers)
    ]
    pitch_list, edges = [], []
    for n in range(pitches):
        pitch_id = f"pitch-{n}"
        pitch_list.append({"id": pitch_id, "groupSize": rng.randint(3, 5), "minPerRole": dict(rng.choice(ROLE_MIXES))})
        for s in rng.sample(range(solvers), min(degree, solvers)):
            edges.append([pitch_id, f"solver-{s}", rng.randint(1, 1000)])
    return {"roleBonus": role_bonus, "pitches": pitch_list, "solvers": solver_list, "edges": edges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pitches", type=int, required=True)
    parser.add_argument("--solvers", type=int, required=True)
    parser.add_argument("--degree", type=int, default=50)
    parser.add_argument("--role-bonus", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.out, "w") as out:
        json.dump(instance(args.pitches, args.solvers, args.degree, args.role_bonus, args.seed), out)


if __name__ == "__main__":
    main()
