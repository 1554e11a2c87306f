"""The rollout driver: ECS services whose deployments move as real rollouts do, for ``tracker wait``.

moto models no rollouts: ``update_service`` keeps the first deployment's task
definition and ``rolloutState`` only follows ``MOTO_ECS_SERVICE_RUNNING``. So
the tests create clusters, task definitions, services and alarms with the
real API calls (boto3 against the emulator, as the project's role), then
*drive* each service by setting its deployments in the emulator's backend --
exactly the fields DescribeServices returns (``deployments[]`` with
``status``, ``taskDefinition``, ``rolloutState``, ``rolloutStateReason``,
``runningCount``, ``desiredCount``, ``failedTasks``), the service's counts and
its ``events``. What ``tracker wait`` reads is then what ECS would report at
that point of a rollout: completed, in progress, failed by the circuit
breaker, rolled back.

:class:`MemoryDriver` does the same on :class:`tracker.stores.memory.MemoryEcs`
(the fast tier); :class:`EmulatorDriver` on moto's backend (the emulator tier).
"""

from __future__ import annotations

import itertools
from typing import Any

CIRCUIT_BREAKER = "ECS deployment circuit breaker: tasks failed to start."
_ids = itertools.count(1)


def deployment(
    task_definition: str,
    *,
    status: str = "PRIMARY",
    state: str = "COMPLETED",
    running: int = 2,
    desired: int = 2,
    reason: str = "",
    failed: int = 0,
) -> dict[str, Any]:
    """One entry of a service's ``deployments`` as DescribeServices returns it."""
    number = next(_ids)
    return {
        "id": f"ecs-svc/{number:012d}",
        "status": status,
        "taskDefinition": task_definition,
        "rolloutState": state,
        "rolloutStateReason": reason
        or f"ECS deployment ecs-svc/{number:012d} {state.lower().replace('_', ' ')}.",
        "runningCount": running,
        "desiredCount": desired,
        "pendingCount": max(desired - running, 0),
        "failedTasks": failed,
    }


class Driver:
    """The moves of a rollout, over ``set_deployments`` (which a backend implements)."""

    def set_deployments(
        self, cluster: str, name: str, deployments: list[dict[str, Any]], events: list[str]
    ) -> None:
        raise NotImplementedError

    def completed(self, cluster: str, name: str, task: str, count: int = 2) -> None:
        """The rollout of ``task`` is done: PRIMARY, COMPLETED, every task running."""
        self.set_deployments(cluster, name, [deployment(task, running=count, desired=count)], [])

    def in_progress(
        self, cluster: str, name: str, task: str, old: str, running: int = 1, count: int = 2
    ) -> None:
        """``task`` is rolling out over ``old``: PRIMARY IN_PROGRESS, the old one still ACTIVE."""
        self.set_deployments(
            cluster,
            name,
            [
                deployment(task, state="IN_PROGRESS", running=running, desired=count),
                deployment(old, status="ACTIVE", running=count - running, desired=0),
            ],
            [],
        )

    def circuit_breaker(self, cluster: str, name: str, task: str, back_to: str, count: int = 2) -> None:
        """The circuit breaker failed ``task`` and ECS rolled back to ``back_to``."""
        self.set_deployments(
            cluster,
            name,
            [
                deployment(
                    back_to,
                    running=count,
                    desired=count,
                    reason="ECS deployment circuit breaker: rolling back to a previous deployment.",
                ),
                deployment(
                    task,
                    status="ACTIVE",
                    state="FAILED",
                    running=0,
                    desired=0,
                    reason=CIRCUIT_BREAKER,
                    failed=3,
                ),
            ],
            [f"(service {name}) deployment failed: tasks failed to start."],
        )

    def failed(self, cluster: str, name: str, task: str, count: int = 2) -> None:
        """The rollout of ``task`` FAILED (circuit breaker without rollback): it stays PRIMARY."""
        self.set_deployments(
            cluster,
            name,
            [deployment(task, state="FAILED", running=0, desired=count, reason=CIRCUIT_BREAKER, failed=4)],
            [],
        )


class MemoryDriver(Driver):
    """Services, task definitions and alarms in a MemoryEcs."""

    def __init__(self, ecs: Any, account: str = "123456789012", region: str = "eu-west-1") -> None:
        self.ecs, self.account, self.region = ecs, account, region

    def cluster_arn(self, cluster: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:cluster/{cluster}"

    def task(self, family: str, image: str, revision: int = 1) -> str:
        arn = f"arn:aws:ecs:{self.region}:{self.account}:task-definition/{family}:{revision}"
        self.ecs.task_definitions[arn] = {family: image}
        return arn

    def service(self, cluster: str, name: str, task: str, tags: dict[str, str] | None = None) -> None:
        arn = self.cluster_arn(cluster)
        self.ecs.clusters.setdefault(arn, {})[name] = {
            "serviceName": name,
            "serviceArn": f"arn:aws:ecs:{self.region}:{self.account}:service/{cluster}/{name}",
            "clusterArn": arn,
            "status": "ACTIVE",
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
            "deployments": [deployment(task)],
            "events": [],
        }

    def set_deployments(
        self, cluster: str, name: str, deployments: list[dict[str, Any]], events: list[str]
    ) -> None:
        found = self.ecs.clusters[self.cluster_arn(cluster)][name]
        found["deployments"] = deployments
        found["events"] = [{"message": m} for m in events]

    def alarm(self, name: str, state: str) -> None:
        self.ecs.alarm_values[name] = state


class EmulatorDriver(Driver):
    """Real ECS/CloudWatch calls make things; moto's backend moves rollouts (see the module docstring)."""

    def __init__(self, session: Any, region: str = "eu-west-1") -> None:
        self.ecs = session.client("ecs", region_name=region)
        self.cloudwatch = session.client("cloudwatch", region_name=region)
        self.account = session.client("sts", region_name=region).get_caller_identity()["Account"]
        self.region = region

    def task(self, family: str, image: str) -> str:
        found = self.ecs.register_task_definition(
            family=family, containerDefinitions=[{"name": family, "image": image, "memory": 128}]
        )
        return str(found["taskDefinition"]["taskDefinitionArn"])

    def service(self, cluster: str, name: str, task: str, tags: dict[str, str] | None = None) -> None:
        self.ecs.create_cluster(clusterName=cluster)
        self.ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task,
            desiredCount=2,
            tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
        )

    def backend_service(self, cluster: str, name: str) -> Any:
        from moto.ecs.models import ecs_backends

        return ecs_backends[self.account][self.region].services[f"{cluster}:{name}"]

    def set_deployments(
        self, cluster: str, name: str, deployments: list[dict[str, Any]], events: list[str]
    ) -> None:
        from datetime import UTC, datetime

        service = self.backend_service(cluster, name)
        now = datetime.now(UTC)
        service.deployments = [{**d, "createdAt": now, "updatedAt": now} for d in deployments]
        primary = deployments[0]
        service.task_definition = primary["taskDefinition"]
        service.desired_count = primary["desiredCount"]
        service.running_count = sum(d["runningCount"] for d in deployments)
        service.pending_count = primary["pendingCount"]
        service.events = [{"id": str(i), "createdAt": now, "message": m} for i, m in enumerate(events)]

    def alarm(self, name: str, state: str) -> None:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="set by the test")


class NewServices:
    """How the emulator's new ECS services roll out: ``completed`` (every task running) or ``failed``."""

    rollout = "completed"


def realistic_ecs_services(monkeypatch: Any, count: int = 2) -> NewServices:
    """ECS services created through the API (by Terraform) describe what ECS would say of them.

    * a rollout per :class:`NewServices`: completed with ``count`` tasks
      running, or failed by the circuit breaker;
    * no network configuration for a service created without one (moto
      describes ``{}``, on which the Terraform AWS provider v5 crashes reading
      an ``aws_ecs_service`` back) and ``availabilityZoneRebalancing``
      ``DISABLED`` (ECS's default, which moto leaves out, so every plan would
      change it).

    The emulator runs in the test process, so its model is patched for the test.
    """
    from moto.ecs import models

    original = models.Service.__init__
    chosen = NewServices()

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not self.network_configuration:
            self.network_configuration = None
        self.availability_zone_rebalancing = "DISABLED"
        if self.deployments:
            running = count if chosen.rollout == "completed" else 0
            state = "COMPLETED" if chosen.rollout == "completed" else "FAILED"
            self.deployments[0].update(
                rolloutState=state,
                rolloutStateReason=CIRCUIT_BREAKER if state == "FAILED" else "ECS deployment completed.",
                runningCount=running,
                desiredCount=self.desired_count,
                failedTasks=0 if running else 3,
            )
            self.running_count, self.pending_count = running, 0

    monkeypatch.setattr(models.Service, "__init__", init)
    return chosen
