"""Reading ECS and CloudWatch for ``tracker wait``: which services run an image, and how they stand.

:class:`EcsFinder` holds the rules, over four primitive reads that
:class:`EcsReader` (boto3, as the project's role, in its region) and
:class:`tracker.stores.memory.MemoryEcs` implement:

* services named in the manifest for the environment are described directly
  (DescribeServices, at most 10 a call, per cluster);
* otherwise weco-deploy's tags find them: every cluster (ListClusters,
  paginated), every service of each (ListServices, paginated, 100 a page),
  described with their tags (DescribeServices with ``include=["TAGS"]``, 10 a
  call), kept when ``deployment:env`` is the environment and
  ``deployment:service`` one of the project's ECS service ids (and
  ``deployment:project``, when a service has it, the project's id);
* task definitions are described once each per process (they never change);
* alarms: DescribeAlarms, 100 names a call.

Calls per poll: see docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tracker.model.rollouts import EcsService, runs_for, tags_of

if TYPE_CHECKING:
    from tracker.stores.clients import Clients

DESCRIBE_LIMIT = 10  # DescribeServices: at most 10 services a call
ALARM_LIMIT = 100  # DescribeAlarms: at most 100 names a call


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class EcsFinder:
    """The search rules over the primitive reads a subclass provides."""

    def __init__(self) -> None:
        self._task_images: dict[str, dict[str, str]] = {}

    # -- primitives ---------------------------------------------------------------------------
    def cluster_arns(self) -> list[str]:
        raise NotImplementedError

    def service_arns(self, cluster: str) -> list[str]:
        raise NotImplementedError

    def describe(self, cluster: str, names: list[str], tags: bool) -> tuple[list[dict[str, Any]], list[str]]:
        """Up to 10 services of a cluster: their descriptions, and the names not found."""
        raise NotImplementedError

    def task_definition(self, arn: str) -> dict[str, str]:
        """Container name -> image of a task definition."""
        raise NotImplementedError

    def alarm_states(self, names: list[str]) -> dict[str, str]:
        """Alarm name -> OK / ALARM / INSUFFICIENT_DATA, for the names that exist."""
        raise NotImplementedError

    # -- rules --------------------------------------------------------------------------------
    def services(
        self,
        environment_id: str,
        tag_ids: dict[str, str],
        declared: dict[str, tuple[tuple[str, str], ...]] | None = None,
        project_id: str = "",
    ) -> list[EcsService]:
        """The ECS services running the project's images in the environment, described now."""
        if declared:
            return self._declared(declared)
        found: list[EcsService] = []
        for cluster in self.cluster_arns():
            arns = self.service_arns(cluster)
            for names in chunks(arns, DESCRIBE_LIMIT):
                described, _ = self.describe(cluster, names, tags=True)
                for service in described:
                    service_id = runs_for(tags_of(service), environment_id, tag_ids, project_id)
                    if service_id is not None:
                        found.append(EcsService.from_description(service_id, service))
        return sorted(found, key=lambda s: (s.service_id, s.label))

    def _declared(self, declared: dict[str, tuple[tuple[str, str], ...]]) -> list[EcsService]:
        by_cluster: dict[str, list[tuple[str, str]]] = {}
        for service_id, targets in declared.items():
            for cluster, name in targets:
                by_cluster.setdefault(cluster, []).append((service_id, name))
        found: list[EcsService] = []
        for cluster, wanted in by_cluster.items():
            names = list(dict.fromkeys(name for _, name in wanted))
            described: dict[str, dict[str, Any]] = {}
            for part in chunks(names, DESCRIBE_LIMIT):
                services, _ = self.describe(cluster, part, tags=False)
                for service in services:
                    described[str(service.get("serviceName"))] = service
                    described[str(service.get("serviceArn"))] = service
            for service_id, name in wanted:
                if name in described and described[name].get("status", "ACTIVE") == "ACTIVE":
                    found.append(EcsService.from_description(service_id, described[name]))
                else:
                    found.append(EcsService(service_id, cluster, name, missing=True))
        return sorted(found, key=lambda s: (s.service_id, s.label))

    def images_of(self, task_definition: str) -> dict[str, str]:
        """Container name -> image, described once per task definition per process."""
        if task_definition not in self._task_images:
            self._task_images[task_definition] = self.task_definition(task_definition)
        return self._task_images[task_definition]

    def alarms(self, names: tuple[str, ...]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in chunks(list(names), ALARM_LIMIT):
            found.update(self.alarm_states(part))
        return found


class EcsReader(EcsFinder):
    """ECS and CloudWatch over boto3: the project's role, region and account."""

    def __init__(self, clients: Clients) -> None:
        super().__init__()
        self.clients = clients

    @property
    def ecs(self) -> Any:
        return self.clients.get("ecs")

    def _pages(self, operation: str, key: str, **kwargs: Any) -> list[str]:
        from tracker.stores.clients import call

        paginator = self.ecs.get_paginator(operation)
        found: list[str] = []
        pages = paginator.paginate(**kwargs, PaginationConfig={"PageSize": 100})
        for page in call(lambda: list(pages), f"ecs:{operation}"):
            found.extend(page.get(key, []))
        return found

    def cluster_arns(self) -> list[str]:
        return self._pages("list_clusters", "clusterArns")

    def service_arns(self, cluster: str) -> list[str]:
        return self._pages("list_services", "serviceArns", cluster=cluster)

    def describe(self, cluster: str, names: list[str], tags: bool) -> tuple[list[dict[str, Any]], list[str]]:
        from tracker.stores.clients import call

        kwargs: dict[str, Any] = {"cluster": cluster, "services": names}
        if tags:
            kwargs["include"] = ["TAGS"]
        response = call(lambda: self.ecs.describe_services(**kwargs), "ecs:DescribeServices")
        missing = [str(f.get("arn", "")) for f in response.get("failures", [])]
        return list(response.get("services", [])), missing

    def task_definition(self, arn: str) -> dict[str, str]:
        from tracker.stores.clients import call

        response = call(
            lambda: self.ecs.describe_task_definition(taskDefinition=arn), "ecs:DescribeTaskDefinition"
        )
        containers = response["taskDefinition"].get("containerDefinitions", [])
        return {str(c.get("name")): str(c.get("image")) for c in containers}

    def alarm_states(self, names: list[str]) -> dict[str, str]:
        from tracker.stores.clients import call

        cloudwatch = self.clients.get("cloudwatch")
        response = call(
            lambda: cloudwatch.describe_alarms(AlarmNames=names, MaxRecords=100), "cloudwatch:DescribeAlarms"
        )
        alarms = [*response.get("MetricAlarms", []), *response.get("CompositeAlarms", [])]
        return {str(a["AlarmName"]): str(a["StateValue"]) for a in alarms}
