"""Release & deployment tracking for container-based services (RFC 013).

Kept import-light on purpose: Terraform runs ``tracker terraform resolve`` on
every plan, and ``tracker --help`` must not pay for boto3. Import what you
need: ``tracker.model`` (project manifest, records, schema),
``tracker.stores`` (DynamoDB and SSM behind injected clients),
``tracker.workflows`` (releases, deployments, history, audit). The layout is
described in docs/architecture.md.
"""

__version__ = "0.3.0"
