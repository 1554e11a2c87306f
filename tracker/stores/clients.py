"""The one adapter for AWS clients and AWS errors.

Region, credentials and endpoint come from the standard AWS configuration
(``AWS_REGION``/``AWS_DEFAULT_REGION``, profiles, ``AWS_ENDPOINT_URL``), so the
same command runs against real AWS or a local emulator. Nothing here runs at
import time, and boto3 is imported only when a client is first needed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tracker.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_ssm.client import SSMClient
    from mypy_boto3_sts.client import STSClient

# Bounded retries with exponential backoff and jitter for throttling,
# ProvisionedThroughputExceeded, 5xx and connection errors ("standard" mode
# retries all of those); after the last attempt the error surfaces as AwsError
# with AWS's own code and message. Cancelled transactions are not retried here:
# the tracking store turns them into ConcurrentDeploymentError ("safe to retry").
MAX_ATTEMPTS = 6  # in all, the first included

T = TypeVar("T")


class Clients:
    """Lazily created boto3 clients sharing one session. Inject a session (or clients) in tests."""

    def __init__(self, session: Any = None, **clients: Any) -> None:
        self._session = session
        self._clients: dict[str, Any] = dict(clients)

    def _make(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        if self._session is None:
            # botocore reads AWS_DEFAULT_REGION and profiles but not AWS_REGION, the
            # variable the other AWS SDKs and the Terraform provider use.
            region = None if os.environ.get("AWS_DEFAULT_REGION") else os.environ.get("AWS_REGION")
            self._session = boto3.session.Session(region_name=region or None)
        config = Config(
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            max_pool_connections=16,
            connect_timeout=10,
            read_timeout=30,
        )
        return self._session.client(service, config=config)

    def get(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = call(lambda: self._make(service))
        return self._clients[service]

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self.get("dynamodb")
        return client

    @property
    def ssm(self) -> SSMClient:
        client: SSMClient = self.get("ssm")
        return client

    @property
    def sts(self) -> STSClient:
        client: STSClient = self.get("sts")
        return client

    def where(self, service: str) -> str:
        """``region R, account A`` of a client, for error messages (the account only if STS answers)."""
        region = self.get(service).meta.region_name
        try:
            account = caller_account(self)
        except AwsError:
            return f"region {region}"
        return f"region {region}, account {account}"


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def call(function: Callable[[], T], what: str = "") -> T:
    """Run an AWS call; turn SDK configuration/credential/network errors into AwsError."""
    from botocore import exceptions as bx

    try:
        return function()
    except bx.NoRegionError:
        raise AwsError(
            "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile region)"
        ) from None
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as error:
        raise AwsError(f"no usable AWS credentials: {error}") from None
    except bx.EndpointConnectionError as error:
        raise AwsError(f"cannot reach AWS endpoint: {error}") from None
    except bx.ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        prefix = f"{what}: " if what else ""
        code = error_code(error)
        raise AwsError(
            f"{prefix}AWS refused the call ({code}): {message}", code, dict(error.response)
        ) from error
    except bx.BotoCoreError as error:
        raise AwsError(f"AWS call failed: {error}") from error


def caller_identity(clients: Clients) -> str:
    """The ARN of the AWS principal making the calls (the default 'requested_by')."""
    identity = call(lambda: clients.sts.get_caller_identity(), "sts:GetCallerIdentity")
    return str(identity["Arn"])


def caller_account(clients: Clients) -> str:
    identity = call(lambda: clients.sts.get_caller_identity(), "sts:GetCallerIdentity")
    return str(identity["Account"])
