"""The named exceptions of the library, and the one place that reports them.

Every entry point (the ``tracker`` CLI, the programs Terraform runs, the
Terraform adapter) ends an expected failure with :func:`exit_with`: one line
``tracker: error: ...`` on stderr and a non-zero exit. Nothing else is
expected to escape.
"""

from __future__ import annotations

import sys
from typing import NoReturn


class TrackerError(Exception):
    """Base class of every expected failure. ``str(error)`` is the one-line message."""

    exit_code = 1


def one_line(message: str) -> str:
    """The message with CR/LF escaped: user input quoted in it must not break the line."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def exit_with(message: str, code: int = 1) -> NoReturn:
    """Write ``tracker: error: MESSAGE`` (one line) on stderr and exit with ``code``."""
    sys.stderr.write(f"tracker: error: {one_line(message)}\n")
    sys.stderr.flush()
    sys.exit(code)


def warn(message: str) -> None:
    """Write ``tracker: warning: MESSAGE`` (one line) on stderr."""
    sys.stderr.write(f"tracker: warning: {one_line(message)}\n")


class InvalidInputError(TrackerError):
    """A value given by the user is malformed (an id, a URI, a description...)."""

    exit_code = 2


class ProjectManifestError(InvalidInputError):
    """The project manifest (``.wellcome_project``) is unreadable, malformed or invalid."""


class QueryError(InvalidInputError):
    """The query or environment a Terraform program received is not what the module sends."""


class AmbiguousReleaseError(InvalidInputError):
    """A release id prefix matches more than one release."""


class ReleaseManifestError(TrackerError):
    """A release manifest would not satisfy the schema (refused before writing)."""


class MissingImagesError(TrackerError):
    """A label has no image for some services of the project."""

    def __init__(self, project_id: str, label: str, services: list[str], where: str = "") -> None:
        self.services = services
        looked = f" (looked in SSM {where})" if where else ""
        super().__init__(
            f"label '{label}' of project '{project_id}' has no image for "
            f"service(s): {', '.join(services)}{looked}; publish them first "
            f"(tracker publish SERVICE_ID IMAGE_URI --label {label})"
        )


class ImageNotFoundError(TrackerError):
    """An ECR image (by tag or digest) or its repository does not exist: nothing is published or released."""


class ReleaseNotFoundError(TrackerError):
    """No release with that id exists."""


class WrongProjectError(TrackerError):
    """The release belongs to another project."""


class IncompleteReleaseError(TrackerError):
    """A release lacks an image for a service of the project manifest."""


class UnknownEnvironmentError(TrackerError):
    """The environment is not declared in the project manifest."""


class UnknownServiceError(InvalidInputError):
    """A service id is not in the project manifest."""


class NothingDeployedError(TrackerError):
    """The environment has no deployment (e.g. promoting from it)."""


class NothingToRollBackError(TrackerError):
    """There is no earlier release to roll back to."""


class DuplicateReleaseError(TrackerError):
    """The new release would be identical to the newest one."""


class ConcurrentDeploymentError(TrackerError):
    """Another deployment changed the environment first; safe to retry."""


class ReleaseBusyError(ConcurrentDeploymentError):
    """A deployment of the same release elsewhere committed first; re-reading and retrying is safe.

    deploy() retries these itself: they only keep the release's deployments in time order.
    """


class EnvironmentFrozenError(TrackerError):
    """The environment is frozen (tracker freeze): nothing is deployed to it unless forced."""


class EnvironmentClosedError(TrackerError):
    """A deployment window of the manifest closes the environment now: nothing is deployed unless forced."""


class NotFrozenError(TrackerError):
    """Unfreezing an environment that is not frozen."""


class PartialDeploymentError(TrackerError):
    """The deployment is recorded but SSM was not fully written."""


class ManifestTooLargeError(TrackerError):
    """The release item would exceed DynamoDB's 400 KB item limit."""


class MissingTableError(TrackerError):
    """A DynamoDB table or index the tracker needs does not exist (named, with region and account)."""


class TerraformError(TrackerError):
    """A Terraform command failed (its own output has been shown)."""


class AwsError(TrackerError):
    """AWS refused or failed a call (after the SDK's bounded retries)."""

    def __init__(self, message: str, code: str = "", response: dict | None = None) -> None:
        super().__init__(message)
        self.code = code  # the AWS error code, e.g. 'ResourceNotFoundException'
        self.response = response or {}


class WrongAccountError(TrackerError):
    """The credentials in use are not in the account the project manifest names."""
