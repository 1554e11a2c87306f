"""The one adapter for AWS clients and AWS errors.

Region, credentials and endpoint come from the standard AWS configuration
(``AWS_REGION``/``AWS_DEFAULT_REGION``, profiles, ``AWS_ENDPOINT_URL``), so the
same command runs against real AWS or a local emulator. A :class:`Target`
(built from the project manifest and the settings) can name the region, a
role to assume for every call, and the account the calls must be in. Nothing
here runs at import time, and boto3 is imported only when a client is first
needed.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tracker.errors import AwsError, ConfigurationError, WrongAccountError

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


@dataclass(frozen=True)
class Target:
    """Where a project's AWS calls go (every field optional: the standard AWS configuration).

    * ``region``: the region of its tables and parameters;
    * ``role_arn``: every call runs as this role: STS AssumeRole from the
      caller's credentials, refreshed before they expire, the session named
      after the caller (``tracker@alice``) so that CloudTrail says who;
    * ``account_id``: before the first DynamoDB or SSM client is made, the
      identity in use (after the role) must be in this account;
    * ``claimed_role``: the role the caller says it already is (the manifest's
      ``role_arn`` with ``--no-assume-role``): checked the same way, so a CI job
      that forgot to assume it is refused instead of writing into its own account.
    """

    region: str | None = None
    role_arn: str | None = None
    account_id: str | None = None
    project_id: str = ""
    claimed_role: str | None = None


SESSION_NAME = re.compile(r"[^\w+=,.@-]")


class Clients:
    """Lazily created boto3 clients sharing one session. Inject a session (or clients) in tests."""

    def __init__(self, session: Any = None, target: Target | None = None, **clients: Any) -> None:
        self._base_session = session
        self._session: Any = None
        self.target = target or Target()
        self._clients: dict[str, Any] = dict(clients)
        self._identities: dict[str, dict[str, str]] = {}
        self._account_checked = False
        # Stores use the clients from worker threads (parallel PutParameter): making clients,
        # the role session and the identity checks happen once, under this lock.
        self._lock = threading.RLock()

    @staticmethod
    def _config() -> Any:
        from botocore.config import Config

        return Config(
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            max_pool_connections=16,
            connect_timeout=10,
            read_timeout=30,
        )

    def _base(self) -> Any:
        """The session of the caller's own credentials (before any role)."""
        if self._base_session is None:
            import boto3

            # botocore reads AWS_DEFAULT_REGION and profiles but not AWS_REGION, the
            # variable the other AWS SDKs and the Terraform provider use.
            region = self.target.region
            if not region and not os.environ.get("AWS_DEFAULT_REGION"):
                region = os.environ.get("AWS_REGION")
            self._base_session = boto3.session.Session(region_name=region or None)
        return self._base_session

    def _role_session(self) -> Any:
        """A session whose credentials come from AssumeRole, fetched on first use and refreshed."""
        import boto3
        import botocore.session
        from botocore.credentials import DeferredRefreshableCredentials

        core = botocore.session.get_session()
        # botocore has no public setter for refreshable credentials; this is the pattern
        # boto3's own assume-role providers reduce to.
        core._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
            refresh_using=self._assume_role, method="assume-role"
        )
        return boto3.session.Session(botocore_session=core, region_name=self._base().region_name)

    def _assume_role(self) -> dict[str, str]:
        role = str(self.target.role_arn)
        sts = self._base_client("sts")
        response = call(
            lambda: sts.assume_role(RoleArn=role, RoleSessionName=self.session_name()),
            f"assuming role {role} (or set --no-assume-role if you already act as it)",
        )
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    def session_name(self) -> str:
        """``tracker@<who>``: the caller behind the role, as AssumeRole allows (64 of [\\w+=,.@-])."""
        who = self.requester().rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return SESSION_NAME.sub("-", f"tracker@{who}")[:64]

    def _base_client(self, service: str) -> Any:
        """A client with the caller's own credentials (the same as get() when no role is assumed)."""
        if not self.target.role_arn:
            return self.get(service)
        key = f"base:{service}"
        if key not in self._clients:
            self._clients[key] = call(lambda: self._base().client(service, config=self._config()))
        return self._clients[key]

    def _make(self, service: str, region: str | None = None) -> Any:
        if self._session is None:
            self._session = self._role_session() if self.target.role_arn else self._base()
        if region:
            return self._session.client(service, region_name=region, config=self._config())
        return self._session.client(service, config=self._config())

    def get(self, service: str, region: str | None = None) -> Any:
        """The client of ``service`` (in ``region``, e.g. an ECR registry's; else the target's)."""
        key = f"{service}@{region}" if region else service
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            if key not in self._clients:
                guarded = self.target.account_id or self.target.claimed_role
                if service != "sts" and guarded and not self._account_checked:
                    self.check_account()
                self._clients[key] = call(lambda: self._make(service, region))
            return self._clients[key]

    def identity(self, behind_role: bool = False) -> dict[str, str]:
        """GetCallerIdentity of the credentials in use, or (``behind_role``) of the caller's own."""
        key = "base" if behind_role or not self.target.role_arn else "role"
        with self._lock:
            if key not in self._identities:
                sts = self._base_client("sts") if key == "base" else self.get("sts")
                found = call(lambda: sts.get_caller_identity(), "sts:GetCallerIdentity")
                self._identities[key] = {"Arn": str(found["Arn"]), "Account": str(found["Account"])}
            return self._identities[key]

    def requester(self) -> str:
        """The ARN of the person or CI identity making the calls (behind the role, if one is assumed)."""
        return self.identity(behind_role=True)["Arn"]

    def check_account(self) -> None:
        """Refuse to go on unless the identity in use is in the target's account (and is the claimed role)."""
        expected = self.target.account_id
        identity = self.identity()
        if expected and identity["Account"] != expected:
            whose = f"project '{self.target.project_id}'" if self.target.project_id else "the project"
            raise WrongAccountError(
                f"{whose} must act in account {expected} (its manifest's account_id), but the credentials "
                f"in use ({identity['Arn']}) are in account {identity['Account']}; nothing written"
            )
        claimed = self.target.claimed_role
        if claimed and not is_session_of(identity["Arn"], claimed):
            raise WrongAccountError(
                f"--no-assume-role (TRACKER_ASSUME_ROLE=0) says the caller already is {claimed}, but the "
                f"credentials in use are {identity['Arn']}; nothing written"
            )
        self._account_checked = True

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


def is_session_of(arn: str, role_arn: str) -> bool:
    """Whether ``arn`` (GetCallerIdentity's) is a session of ``role_arn`` (paths are not in session ARNs)."""
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[4] == account and parts[5].startswith(f"assumed-role/{name}/")


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
        raise ConfigurationError(
            "no AWS region configured: give --region (TRACKER_REGION) or the manifest's aws_region_name, "
            "or set AWS_REGION (or AWS_DEFAULT_REGION, or a profile region)"
        ) from None
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as error:
        raise ConfigurationError(f"no usable AWS credentials: {error}") from None
    except bx.EndpointConnectionError as error:
        raise AwsError(f"cannot reach AWS endpoint: {error}{_endpoint_note()}") from None
    except bx.ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        prefix = f"{what}: " if what else ""
        code = error_code(error)
        raise AwsError(
            f"{prefix}AWS refused the call ({code}): {message}", code, dict(error.response)
        ) from error
    except bx.BotoCoreError as error:
        raise AwsError(f"AWS call failed: {error}") from error


def _endpoint_note() -> str:
    """Why the endpoint is that one, when AWS_ENDPOINT_URL chose it (a local emulator that is not running)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return ""
    return f" (AWS_ENDPOINT_URL={endpoint} points there: is the emulator running?)"


def caller_account(clients: Clients) -> str:
    """The account the calls act in (the assumed role's, if any)."""
    return clients.identity()["Account"]
