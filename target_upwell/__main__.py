"""Run the target: ``python -m target_upwell``."""

from target_upwell.target import TargetUpwell

TargetUpwell.cli()
