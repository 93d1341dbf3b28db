"""`labs verify`: every lab is solvable, and not solved before the trainee acts.

For each lab, a scratch class of one seat; for each step k in order:
  - at the start of step k (steps before it solved), every check of step k that is not a guard fails;
  - after the solution of step k, every check of step k passes.
Then the scratch class and its accounts are deleted, whatever happened.
"""

from __future__ import annotations

from labs import service
from labs.format import Lab
from labs.solutions import SolutionFailed


def verify_lab(lab: Lab) -> list[str]:
    """The problems found with the lab; [] when it is sound."""
    problems: list[str] = []
    classroom = service.create_class(lab.id, 1, created_by_principal="labs verify")
    try:
        seat = classroom.seats.get()
        for step in lab.steps:
            at_start = service.check_step(seat, step.id)
            for check, result in zip(step.checks, at_start.checks):
                if result.passed and not check.guard:
                    problems.append(f"step {step.id}: check {result.kind} ({result.message}) already passes "
                                    "before the trainee acts (mark it `guard: true` if it should)")
            try:
                solved = service.solve_step(seat, step.id)
            except SolutionFailed as failure:
                problems.append(f"step {step.id}: its solution failed: {failure}")
                break
            for result in solved.checks:
                if not result.passed:
                    problems.append(f"step {step.id}: check {result.kind} ({result.message}) fails after the "
                                    f"solution: {result.explanation}")
            if not solved.passed:
                break
    finally:
        service.delete_class(classroom)
    return problems
