"""Workflows: one `transitions` machine per workflow definition (built at load, shared by
every record — no machine or model is kept per record), approval-step logic (who approves,
when a step is complete, who may act next), due times and diagrams.

This is the only package that imports `transitions`. It knows nothing of users or records
beyond what the runtime hands it; `engine.runtime.workflow_service` drives it inside the
record service's transaction.
"""

from engine.workflow.approval import (
    TaskView,
    acting_seq,
    approvals_needed,
    step_complete,
)
from engine.workflow.machine import Move, WorkflowMachine, build_machines

__all__ = [
    "Move",
    "TaskView",
    "WorkflowMachine",
    "acting_seq",
    "approvals_needed",
    "build_machines",
    "step_complete",
]
