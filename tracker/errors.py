"""The named exceptions of the library, the exit codes, and the one place that reports them.

Every entry point (the ``tracker`` CLI, the programs Terraform runs, the
Terraform adapter) ends an expected failure with :func:`exit_with`: one line
``tracker: error: ...`` on stderr and a non-zero exit. Nothing else is
expected to escape.

Exit codes (the README's table):

* 0: done;
* 1: refused or failed: not found, frozen or closed, concurrent deployment,
  AWS refused or unreachable (``verify`` also exits 1 on drift, ``pending``
  when something waits, ``diff`` when the two differ);
* 2: bad input or configuration: a malformed value, an environment or service
  the manifest does not declare, an unreadable manifest, no AWS region or
  credentials, usage errors;
* 130: interrupted.

Hints name the interface in use: the same refusal says ``--force with
--description`` on the command line, ``FORCE=1 DESCRIPTION=...`` under make
and ``force = true`` in Terraform. The entry point sets the interface once
(:func:`set_interface`; make exports ``TRACKER_INTERFACE=make``, the programs
Terraform runs default to ``terraform``).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

INTERFACES = ("cli", "make", "terraform")
_interface = {"name": "cli"}

# Per hint, per interface: what the user can do about the error, in that interface's words.
HINTS: dict[str, dict[str, str]] = {
    "force": {
        "cli": "to deploy anyway: --force with --description saying why",
        "make": "to deploy anyway: FORCE=1 with DESCRIPTION=... saying why",
        "terraform": "to deploy anyway: force = true with a description saying why",
    },
    "force-needs-description": {
        "cli": "--force needs --description saying why the freeze, window or policy is overridden",
        "make": "FORCE=1 needs DESCRIPTION=... saying why the freeze, window or policy is overridden",
        "terraform": "force = true needs a description saying why the freeze, window or policy is overridden",
    },
    "store": {
        "cli": "create them with the Terraform module modules/tracking-store, or point "
        "TRACKER_RELEASES_TABLE / TRACKER_DEPLOYMENTS_TABLE at yours",
        "make": "create them with `make store{project_arg}`, or point TRACKER_RELEASES_TABLE / "
        "TRACKER_DEPLOYMENTS_TABLE at yours",
        "terraform": "create them with the Terraform module modules/tracking-store, or set the module's "
        "releases_table_name / deployments_table_name to yours",
    },
    "first-release": {
        "cli": "deploy a release there first: tracker deploy RELEASE {environment}",
        "make": "give a release: make plan ENV={environment} RELEASE=latest (or an id)",
        "terraform": "give a release: -var release_id=latest (or an id, or from_environment)",
    },
    "release-list": {
        "cli": "`tracker release list` shows the project's releases",
        "make": "`tracker release list` shows the project's releases",
        "terraform": "`tracker release list` shows the project's releases",
    },
}


def set_interface(name: str | None) -> None:
    """Which interface hints speak to: ``cli`` (default), ``make`` or ``terraform``."""
    _interface["name"] = name if name in INTERFACES else "cli"


def interface() -> str:
    return _interface["name"]


def phrase(hint: str, **values: Any) -> str:
    """The hint's words for the interface in use, placeholders filled in."""
    return HINTS[hint][interface()].format(**values)


class TrackerError(Exception):
    """Base class of every expected failure. ``str(error)`` is the one-line message.

    ``hint`` (a key of :data:`HINTS`) is appended in parentheses, in the words
    of the interface in use when the message is shown.
    """

    exit_code = 1
    default_hint: str | None = None

    def __init__(self, message: str = "", *, hint: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else (hint or None)
        self.values = values

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        return f"{self.message} ({phrase(self.hint, **self.values)})"


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

    default_hint = "release-list"


class WrongProjectError(TrackerError):
    """The release belongs to another project."""


class IncompleteReleaseError(TrackerError):
    """A release lacks an image for a service of the project manifest."""


class UnknownEnvironmentError(InvalidInputError):
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


class PolicyRefusedError(TrackerError):
    """The environment's promotion policy refuses the release (tracker.model.policies)."""


class NotApprovedError(TrackerError):
    """Revoking an approval that is not there (or not one's own)."""


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


class ConfigurationError(InvalidInputError):
    """What the tracker needs to reach AWS is not configured (no region, no credentials)."""


class WrongAccountError(TrackerError):
    """The credentials in use are not in the account the project manifest names."""


class WriteRefused(Exception):
    """A store refused a deployment's write: which of its named parts failed their condition.

    Raised by the stores, never shown as it is: the deployment workflow says
    what it means (frozen, concurrent, the release gone...). ``failed`` holds
    the names of the parts whose condition failed, ``conflicts`` those another
    transaction on the same item was writing at the same moment.
    """

    def __init__(self, failed: frozenset[str], conflicts: frozenset[str] = frozenset()) -> None:
        super().__init__(f"write refused: failed {sorted(failed)}, conflicts {sorted(conflicts)}")
        self.failed = failed
        self.conflicts = conflicts
