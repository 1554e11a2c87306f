"""Release & deployment tracking for container-based services (RFC 013).

Kept import-light on purpose: Terraform runs our programs on every plan, and
``tracker --help`` must not pay for boto3. Import the submodules you need:
``tracker.project``, ``tracker.store``, ``tracker.operations``.
"""

__version__ = "0.1.0"
