#!/usr/bin/env python3
"""The reference optimum of a matching instance, from OR-Tools' min cost flow on the same network
Kobling solves: source -> solver -> (pitch, role) -> pitch -> sink, the role bonus on a first
parallel arc, and a free source -> sink arc so that no flow is forced.

reference.py INSTANCE.json  ->  one JSON line: objective, solveSeconds (the solve call alone)
"""
import json
import sys
import time

from ortools.graph.python import min_cost_flow


def solve(instance: dict) -> dict:
    flow = min_cost_flow.SimpleMinCostFlow()
    ids: dict = {}

    def node(key) -> int:
        return ids.setdefault(key, len(ids))

    source, sink = node("source"), node("sink")
    role = {s["id"]: s["role"] for s in instance["solvers"]}
    seats = 0
    for solver in instance["solvers"]:
        flow.add_arc_with_capacity_and_unit_cost(source, node(solver["id"]), solver["capacity"], 0)
        seats += solver["capacity"]
    wanted = {}
    for pitch_id, solver_id, weight in instance["edges"]:
        wanted.setdefault(pitch_id, set()).add(role[solver_id])
        flow.add_arc_with_capacity_and_unit_cost(node(solver_id), node((pitch_id, role[solver_id])), 1, -weight)
    for pitch in instance["pitches"]:
        size = pitch["groupSize"]
        flow.add_arc_with_capacity_and_unit_cost(node(pitch["id"]), sink, size, 0)
        for r in sorted(wanted.get(pitch["id"], ())):
            slots = min(pitch["minPerRole"].get(r, 0), size)
            if slots:
                flow.add_arc_with_capacity_and_unit_cost(node((pitch["id"], r)), node(pitch["id"]), slots, -instance["roleBonus"])
            flow.add_arc_with_capacity_and_unit_cost(node((pitch["id"], r)), node(pitch["id"]), size, 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, seats, 0)
    flow.set_node_supply(source, seats)
    flow.set_node_supply(sink, -seats)
    start = time.perf_counter()
    status = flow.solve()
    seconds = time.perf_counter() - start
    if status != flow.OPTIMAL:
        raise SystemExit(f"OR-Tools did not find the optimum: status {status}")
    return {"objective": -flow.optimal_cost(), "solveSeconds": round(seconds, 4)}


if __name__ == "__main__":
    print(json.dumps(solve(json.load(open(sys.argv[1])))))
