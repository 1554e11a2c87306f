"""The parameter store: SSM parameters holding image labels and deployed images.

``/{project_id}/images/{label}/{service_id}`` (written by CI through
``publish``) and ``/{project_id}/deployments/{environment_id}/{service_id}``
(written by deployments, read by Terraform stacks); the names are built by
:mod:`tracker.model.paths`. String parameters; their descriptions say who
wrote them (cut to the schema's description limit, SSM's own), and SSM's
versions are the history.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.stores.clients import Clients, call

if TYPE_CHECKING:
    from mypy_boto3_ssm.client import SSMClient

SSM_BATCH = 10  # GetParameters takes at most 10 names
# PutParameter has a low default throughput per account and region; a few
# concurrent writers keep deploys of many services fast while botocore's
# standard retry mode absorbs the occasional ThrottlingException.
SSM_WRITERS = 4


@dataclass
class ParameterStore:
    """SSM parameters: image labels and deployed images."""

    clients: Clients
    writers: int = SSM_WRITERS

    @property
    def _ssm(self) -> SSMClient:
        return self.clients.ssm

    @property
    def region(self) -> str:
        return str(self._ssm.meta.region_name)

    def get_values(self, names: list[str]) -> dict[str, str]:
        """Values of the parameters that exist, in GetParameters batches of 10."""
        return {name: value for name, (value, _) in self.get_dated(names).items()}

    def get_dated(self, names: list[str]) -> dict[str, tuple[str, float | None]]:
        """Values of the parameters that exist and when each was last written (unix time), as
        ``get_values`` reads them."""
        values: dict[str, tuple[str, float | None]] = {}
        for start in range(0, len(names), SSM_BATCH):
            batch = names[start : start + SSM_BATCH]
            response = call(
                lambda b=batch: self._ssm.get_parameters(Names=b),  # type: ignore[misc]
                "reading SSM parameters",
            )
            for parameter in response.get("Parameters", []):
                modified = parameter.get("LastModifiedDate")
                values[parameter["Name"]] = (parameter["Value"], modified.timestamp() if modified else None)
        return values

    def get_path(self, path: str, *, recursive: bool = False) -> dict[str, str]:
        """The parameters directly below ``path`` (all below it with ``recursive``), name -> value."""
        paginator = self._ssm.get_paginator("get_parameters_by_path")
        pages = iter(paginator.paginate(Path=path, Recursive=recursive))
        values: dict[str, str] = {}
        while True:
            page = call(lambda: next(pages, None), "reading SSM parameters")
            if page is None:
                return values
            for parameter in page.get("Parameters", []):
                values[parameter["Name"]] = parameter["Value"]

    def put_values(self, values: dict[str, str], description: str) -> None:
        """Write String parameters (overwriting), a few at a time concurrently."""
        from tracker.model import schema

        description = description[: schema.limit("description")]

        def put(item: tuple[str, str]) -> None:
            name, value = item
            call(
                lambda: self._ssm.put_parameter(
                    Name=name,
                    Value=value,
                    Type="String",
                    Overwrite=True,
                    Description=description,
                ),
                f"writing SSM parameter {name}",
            )

        items = list(values.items())
        if len(items) <= 1:
            for item in items:
                put(item)
            return
        with ThreadPoolExecutor(max_workers=min(self.writers, len(items))) as pool:
            for _ in pool.map(put, items):
                pass
