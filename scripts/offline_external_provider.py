#!/usr/bin/env python3
"""OFFLINE TEST/DEMO AID ONLY: a stand-in for the Terraform provider ``hashicorp/external``.

Real users get ``hashicorp/external`` from the Terraform Registry, and should keep doing so.
This file exists only because the registry cannot be reached on offline machines (CI
sandboxes, the demo machine). ``scripts/terraform_offline.py`` installs it, through a small
``#!/bin/sh`` launcher, into a project-local filesystem mirror as
``registry.terraform.io/hashicorp/external`` 2.3.5, and writes a Terraform CLI config that
uses that mirror. Never publish it, never ship it to users and never point a production
Terraform run at it.

What it implements: only the ``external`` data source, and it mirrors the real provider's
protocol exactly (behaviour of hashicorp/terraform-provider-external 2.3.3 to 2.3.5, file
``internal/provider/data_source.go``; the diagnostic texts below are reproduced from that
MPL-2.0 source so that errors read the same):

* ``program`` (list of strings, required, at least one element): null and ``""`` elements are
  dropped; the first remaining element is the executable, the rest are its arguments. There is
  NO shell: arguments are passed as they are. A first element without ``/`` is looked up in
  ``$PATH`` the way Go's ``exec.LookPath`` does; one with ``/`` is used as it is.
* ``query`` (map of strings, optional): null values are dropped, and the rest is written to the
  program's stdin as one JSON object, encoded as Go's ``json.Marshal`` does it (keys sorted, no
  spaces, ``<``, ``>`` and ``&`` escaped as ``\\u003c`` and the like). Absent query: ``{}``.
* ``working_dir`` (string, optional): the program's working directory; otherwise the provider's
  (that is Terraform's) current directory.
* The program must exit 0 and print a JSON object whose values are all strings; that object
  becomes ``result`` (map of strings, computed). ``id`` (computed) is always ``"-"``.
* Errors, with the real provider's summaries, all attached to the ``program`` attribute:
  ``External Program Missing`` (no non-empty element), ``External Program Lookup Failed``,
  ``External Program Execution Failed`` (non-zero exit: stderr and ``State: exit status N``;
  or the program could not be started), ``Unexpected External Program Results`` (stdout is not
  a JSON object of strings). ``program = []`` is refused at validation with
  ``Invalid Attribute Value`` as the real provider's list validator does.
* The program is run on every read, so on every plan and apply, like any data source.
* Ctrl-C: like a go-plugin provider it survives the terminal's SIGINT and reports what became of
  the program; when Terraform calls StopProvider, a running program is killed (SIGKILL), as the
  real provider's cancelled exec.CommandContext does.
* With ``TF_LOG``/``TF_LOG_PROVIDER`` at TRACE, the program, its stdout and its stderr are logged.

Known differences that cannot be avoided: it is Python, so it needs a Python with the ``tf``
package (PyPI, plugin protocol 6) and starts slower than the Go binary; its version number is
whatever the mirror directory says (2.3.5), and the lock-file hash Terraform records for it is
the launcher's, not the registry's; the wording of the ``Result Error:`` line for malformed
JSON follows Go's ``encoding/json`` closely but not byte for byte in every case.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from typing import Any

from tf.iface import Config, DataSource, Provider, ReadDataContext, State
from tf.runner import run_provider
from tf.schema import Attribute, Schema, TextFormat
from tf.types import List, Map, String
from tf.utils import Diagnostics

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/external"
_GOOS = "linux" if sys.platform.startswith("linux") else sys.platform  # runtime.GOOS

# ---------------------------------------------------------------------------------------------
# Texts of the real provider (terraform-provider-external 2.3.x, data_source.go).
# ---------------------------------------------------------------------------------------------

_DS_DESCRIPTION = (
    "The `external` data source allows an external program implementing a specific protocol "
    "(defined below) to act as a data source, exposing arbitrary data for use elsewhere in the "
    "Terraform configuration.\n"
    "\n"
    '**Warning** This mechanism is provided as an "escape hatch" for exceptional situations '
    "where a first-class Terraform provider is not more appropriate. Its capabilities are limited "
    "in comparison to a true data source, and implementing a data source via an external program "
    "is likely to hurt the portability of your Terraform configuration by creating dependencies "
    "on external programs and libraries that may not be available (or may need to be used "
    "differently) on different operating systems.\n"
    "\n"
    "**Warning** Terraform Enterprise does not guarantee availability of any particular language "
    "runtimes or external programs beyond standard shell utilities, so it is not recommended to "
    "use this data source within configurations that are applied within Terraform Enterprise."
)

_MISSING_SUMMARY = "External Program Missing"
_MISSING_DETAIL = (
    "The data source was configured without a program to execute. "
    "Verify the configuration contains at least one non-empty value."
)

_LOOKUP_SUMMARY = "External Program Lookup Failed"
# The real message really does start with the "parse the query" sentence (an upstream quirk).
_LOOKUP_DETAIL = (
    "The data source received an unexpected error while attempting to parse the query. "
    "The data source received an unexpected error while attempting to find the program.\n"
    "\n"
    "The program must be accessible according to the platform where Terraform is running.\n"
    "\n"
    "If the expected program should be automatically found on the platform where Terraform is "
    "running, ensure that the program is in an expected directory. On Unix-based platforms, these "
    "directories are typically searched based on the '$PATH' environment variable. On "
    "Windows-based platforms, these directories are typically searched based on the '%PATH%' "
    "environment variable.\n"
    "\n"
    "If the expected program is relative to the Terraform configuration, it is recommended that "
    "the program name includes the interpolated value of 'path.module' before the program name "
    "to ensure that it is compatible with varying module usage. For example: "
    '"${path.module}/my-program"\n'
    "\n"
    "The program must also be executable according to the platform where Terraform is running. "
    "On Unix-based platforms, the file on the filesystem must have the executable bit set. On "
    "Windows-based platforms, no action is typically necessary.\n"
)

_EXEC_SUMMARY = "External Program Execution Failed"
_EXEC_DETAIL = "The data source received an unexpected error while attempting to execute the program."
_EXEC_NO_STDERR = "The program was executed, however it returned no additional error messaging."

_RESULT_SUMMARY = "Unexpected External Program Results"
_RESULT_DETAIL = (
    "The data source received unexpected results after executing the program.\n"
    "\n"
    "Program output must be a JSON encoded map of string keys and string values.\n"
    "\n"
    "If the error is unclear, the output can be viewed by enabling Terraform's logging at TRACE "
    "level. Terraform documentation on logging: https://www.terraform.io/internals/debugging\n"
)

# ---------------------------------------------------------------------------------------------
# Go behaviour the real provider inherits (os/exec, encoding/json, fmt, syscall).
# ---------------------------------------------------------------------------------------------

# syscall.Signal.String() on linux, as printed by ProcessState.String() ("signal: killed").
_GO_SIGNAL_NAMES = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    10: "user defined signal 1",
    11: "segmentation fault",
    12: "user defined signal 2",
    13: "broken pipe",
    14: "alarm clock",
    15: "terminated",
    16: "stack fault",
    17: "child exited",
    18: "continued",
    19: "stopped (signal)",
    20: "stopped",
    21: "stopped (tty input)",
    22: "stopped (tty output)",
    23: "urgent I/O condition",
    24: "CPU time limit exceeded",
    25: "file size limit exceeded",
    26: "virtual timer expired",
    27: "profiling timer expired",
    28: "window changed",
    29: "I/O possible",
    30: "power failure",
    31: "bad system call",
}


def _go_errno(err: int) -> str:
    """syscall.Errno.Error(): the C strerror text, starting lower-case."""
    text = os.strerror(err)
    return text[:1].lower() + text[1:]


def _go_quote(s: str) -> str:
    """strconv.Quote / %q, close enough for file names and arguments."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append(
                {
                    "\a": "\\a",
                    "\b": "\\b",
                    "\f": "\\f",
                    "\n": "\\n",
                    "\r": "\\r",
                    "\t": "\\t",
                    "\v": "\\v",
                }[ch]
            )
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_string_value(value: Any) -> str:
    """fmt %s of a framework types.String: quoted, or <null>."""
    return "<null>" if value is None else _go_quote(value)


def _go_json_marshal(query: dict[str, str]) -> bytes:
    """encoding/json.Marshal of a map[string]string (Go 1.22+ escaping)."""
    text = json.dumps(query, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go escapes HTML-significant characters and the JavaScript line separators. None of
    # them can appear in the JSON syntax itself, so a plain replacement is exact.
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text.encode("utf-8")


class _NonFiniteConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; Go's does not.
    raise _NonFiniteConstant(name)


def _go_quote_char(ch: str) -> str:
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return "'" + _go_quote(ch)[1:-1] + "'"


def _go_json_syntax_error(doc: str, exc: ValueError) -> str:
    """Render a Python JSON syntax error the way Go's encoding/json words it."""
    if isinstance(exc, _NonFiniteConstant):
        pos = doc.find(str(exc)[:1] if str(exc) != "-Infinity" else "I")
        ch = doc[pos] if pos >= 0 else "N"
        return f"invalid character {_go_quote_char(ch)} looking for beginning of value"
    if not isinstance(exc, json.JSONDecodeError):
        return str(exc)
    pos = exc.pos
    if pos >= len(doc) or not doc.strip():
        return "unexpected end of JSON input"
    ch = _go_quote_char(doc[pos])
    msg = exc.msg
    if msg == "Extra data":
        return f"invalid character {ch} after top-level value"
    if msg == "Expecting value":
        for literal in ("true", "false", "null"):
            if doc[pos] == literal[0]:  # Go's scanner is inside a literal by now
                for i, want in enumerate(literal):
                    if pos + i >= len(doc):
                        return "unexpected end of JSON input"
                    if doc[pos + i] != want:
                        got = _go_quote_char(doc[pos + i])
                        return (
                            f"invalid character {got} in literal {literal} (expecting {_go_quote_char(want)})"
                        )
        return f"invalid character {ch} looking for beginning of value"
    if msg.startswith("Expecting property name"):
        return f"invalid character {ch} looking for beginning of object key string"
    if msg == "Expecting ':' delimiter":
        return f"invalid character {ch} after object key"
    if msg == "Expecting ',' delimiter":
        # Find the innermost open container before pos to pick Go's wording.
        depth_stack: list[str] = []
        in_str = esc = False
        for c in doc[:pos]:
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c in "[{":
                depth_stack.append(c)
            elif c in "]}" and depth_stack:
                depth_stack.pop()
        in_array = bool(depth_stack) and depth_stack[-1] == "["
        where = "array element" if in_array else "object key:value pair"
        return f"invalid character {ch} after {where}"
    if msg.startswith("Invalid control character"):
        return f"invalid character {ch} in string literal"
    if msg.startswith("Invalid \\escape") or msg.startswith("Invalid \\uXXXX"):
        return f"invalid character {ch} in string escape code"
    if msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    return f"invalid character {ch} ({msg})"


_JSON_KIND = (
    (bool, "bool"),  # before int: bool is an int subclass
    (str, "string"),
    (int, "number"),
    (float, "number"),
    (list, "array"),
    (dict, "object"),
)


def _json_kind(value: Any) -> str:
    for klass, name in _JSON_KIND:
        if isinstance(value, klass):
            return name
    return "object"  # pairs list from object_pairs_hook


_SURROGATE = re.compile("[\ud800-\udfff]")


def _go_string(value: str) -> str:
    # Go decodes a lone UTF-16 surrogate escape as U+FFFD.
    return _SURROGATE.sub("\ufffd", value)


class _Pairs(list):
    """A JSON object, as ordered (key, value) pairs, so that errors come in document order."""


def _decode_result(raw: bytes) -> tuple[dict[str, str] | None, str | None]:
    """json.Unmarshal(raw, &map[string]string{}): returns (result, error text)."""
    doc = raw.decode("utf-8", errors="replace")  # Go substitutes U+FFFD for invalid UTF-8
    try:
        value = json.loads(doc, object_pairs_hook=_Pairs, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError or non-finite constant
        return None, _go_json_syntax_error(doc, exc)
    if value is None:
        return None, None  # JSON null sets the map to nil: result becomes null
    if not isinstance(value, _Pairs):
        return None, (f"json: cannot unmarshal {_json_kind(value)} into Go value of type map[string]string")
    result: dict[str, str] = {}
    first_error: str | None = None
    for key, item in value:
        key = _go_string(key)
        if isinstance(item, str):
            result[key] = _go_string(item)
        elif item is None:
            result[key] = ""  # null leaves the zero value, which Go still stores under the key
        elif first_error is None:
            first_error = f"json: cannot unmarshal {_json_kind(item)} into Go value of type string"
    if first_error is not None:
        return None, first_error
    return result, None


class _LookupError(Exception):
    pass


def _find_executable(path: str) -> None:
    """Go's os/exec findExecutable on unix."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _LookupError(f"stat {path}: {_go_errno(exc.errno or 0)}") from exc
    except ValueError as exc:  # embedded NUL byte: EINVAL in Go
        raise _LookupError(f"stat {path}: {_go_errno(errno.EINVAL)}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise _LookupError(_go_errno(errno.EISDIR))
    if not os.access(path, os.X_OK):
        raise _LookupError(_go_errno(errno.EACCES))


def _look_path(name: str) -> str:
    """Go's exec.LookPath on unix, with exec.ErrDot ignored as the real provider does."""
    if "/" in name:
        try:
            _find_executable(name)
        except _LookupError as exc:
            raise _LookupError(f"exec: {_go_quote(name)}: {exc}") from None
        return name
    path_env = os.environ.get("PATH", "")
    for directory in path_env.split(":") if path_env else []:
        # filepath.Join(dir, file): an empty entry means ".", and the result is cleaned.
        candidate = os.path.normpath(os.path.join(directory or ".", name))
        try:
            _find_executable(candidate)
        except _LookupError:
            continue
        return candidate
    raise _LookupError(f"exec: {_go_quote(name)}: executable file not found in $PATH")


def _trace_enabled() -> bool:
    level = (os.environ.get("TF_LOG_PROVIDER") or os.environ.get("TF_LOG") or "").upper()
    return level in ("TRACE", "JSON")


def _trace(message: str, **fields: str) -> None:
    """An hclog JSON line on stderr, which go-plugin forwards into Terraform's log."""
    if not _trace_enabled():
        return
    line = {
        "@level": "trace",
        "@message": message,
        "@module": "provider",
        "@timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
        **fields,
    }
    with contextlib.suppress(OSError):
        print(json.dumps(line), file=sys.stderr, flush=True)


# Programs being run, so that StopProvider (Ctrl-C in Terraform) can kill them the way the
# real provider's exec.CommandContext does when its context is cancelled.
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()
_STOPPED = threading.Event()


def _kill_running_programs() -> None:
    _STOPPED.set()
    with _RUNNING_LOCK:
        for proc in list(_RUNNING):
            with contextlib.suppress(OSError):
                proc.kill()


def _exit_state(returncode: int) -> str:
    """os.ProcessState.String() as wrapped by *exec.ExitError."""
    if returncode >= 0:
        return f"exit status {returncode}"
    signo = -returncode
    return "signal: " + _GO_SIGNAL_NAMES.get(signo, f"signal {signo}")


# ---------------------------------------------------------------------------------------------
# The data source and the provider.
# ---------------------------------------------------------------------------------------------


class ExternalDataSource(DataSource):
    def __init__(self, provider: Provider):
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "external"

    @classmethod
    def get_schema(cls) -> Schema:
        plain = TextFormat.Plain
        return Schema(
            description=_DS_DESCRIPTION,
            description_kind=plain,
            attributes=[
                Attribute(
                    "program",
                    List(String()),
                    description=(
                        "A list of strings, whose first element is the program to run and whose "
                        "subsequent elements are optional command line arguments to the program. "
                        "Terraform does not execute the program through a shell, so it is not "
                        "necessary to escape shell metacharacters nor add quotes around arguments "
                        "containing spaces."
                    ),
                    description_kind=plain,
                    required=True,
                ),
                Attribute(
                    "working_dir",
                    String(),
                    description=(
                        "Working directory of the program. If not supplied, the program will run "
                        "in the current directory."
                    ),
                    description_kind=plain,
                    optional=True,
                ),
                Attribute(
                    "query",
                    Map(String()),
                    description=(
                        "A map of string values to pass to the external program as the query "
                        "arguments. If not supplied, the program will receive an empty object as "
                        "its input."
                    ),
                    description_kind=plain,
                    optional=True,
                ),
                Attribute(
                    "result",
                    Map(String()),
                    description="A map of string values returned from the external program.",
                    description_kind=plain,
                    computed=True,
                ),
                Attribute(
                    "id",
                    String(),
                    description="The id of the data source. This will always be set to `-`",
                    description_kind=plain,
                    computed=True,
                ),
            ],
        )

    def validate(self, diags: Diagnostics, type_name: str, config: Config) -> None:
        DataSource.validate(self, diags, type_name, config)
        program = config.get("program")
        # listvalidator.SizeAtLeast(1); null and unknown lists are not checked.
        if isinstance(program, list) and len(program) < 1:
            diags.add_error(
                "Invalid Attribute Value",
                f"Attribute program list must contain at least 1 elements, got: {len(program)}",
                path=["program"],
            )

    def read(self, ctx: ReadDataContext, config: Config) -> State | None:
        diags = ctx.diagnostics
        program_raw = config.get("program") or []
        query_raw = config.get("query")
        working_dir_raw = config.get("working_dir")
        program = [arg for arg in program_raw if arg is not None and arg != ""]
        if not program:
            diags.add_error(_MISSING_SUMMARY, _MISSING_DETAIL, path=["program"])
            return None

        query = {k: v for k, v in (query_raw or {}).items() if v is not None}
        query_json = _go_json_marshal(query)

        try:
            cmd_path = _look_path(program[0])
        except _LookupError as exc:
            first = program_raw[0] if program_raw else None
            diags.add_error(
                _LOOKUP_SUMMARY,
                _LOOKUP_DETAIL
                + f"\nPlatform: {_GOOS}"
                + f"\nProgram: {_go_string_value(first)}"
                + f"\nError: {exc}",
                path=["program"],
            )
            return None

        working_dir = working_dir_raw or None
        # The same relative path Go would hand to execve; Python needs a "/" to not search $PATH.
        exec_path = cmd_path if "/" in cmd_path else os.path.join(".", cmd_path)
        cmd_string = " ".join([cmd_path, *program[1:]])
        _trace("Executing external program", program=cmd_string)

        stdout = b""
        stderr = b""
        state: str | None = None
        try:
            proc = subprocess.Popen(
                program,
                executable=exec_path,
                cwd=working_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            # Go reports every start failure, a bad working_dir included, as fork/exec <path>.
            state = f"fork/exec {cmd_path}: {_go_errno(exc.errno or 0)}"
        except ValueError:  # an embedded NUL byte: EINVAL in Go
            state = f"fork/exec {cmd_path}: {_go_errno(errno.EINVAL)}"
        else:
            with _RUNNING_LOCK:
                _RUNNING.add(proc)
            try:
                if _STOPPED.is_set():
                    proc.kill()
                stdout, stderr = proc.communicate(query_json)
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(proc)
            if _STOPPED.is_set() and proc.returncode != 0:
                state = "context canceled"
            elif proc.returncode != 0:
                state = _exit_state(proc.returncode)

        stdout_text = stdout.decode("utf-8", errors="replace")
        stderr_text = stderr.decode("utf-8", errors="replace")
        _trace(
            "Executed external program",
            program=cmd_string,
            output=stdout_text,
            stderr=stderr_text,
        )

        if state is not None:
            if stderr_text:
                detail = (
                    _EXEC_DETAIL
                    + f"\n\nProgram: {cmd_path}"
                    + f"\nError Message: {stderr_text}"
                    + f"\nState: {state}"
                )
            else:
                detail = (
                    _EXEC_DETAIL + "\n\n" + _EXEC_NO_STDERR + f"\n\nProgram: {cmd_path}" + f"\nState: {state}"
                )
            diags.add_error(_EXEC_SUMMARY, detail, path=["program"])
            return None

        result, error = _decode_result(stdout)
        if error is not None:
            diags.add_error(
                _RESULT_SUMMARY,
                _RESULT_DETAIL + f"\nProgram: {cmd_path}" + f"\nResult Error: {error}",
                path=["program"],
            )
            return None

        return {
            "program": program_raw,
            "working_dir": working_dir_raw,
            "query": query_raw,
            "result": result,
            "id": "-",
        }


class ExternalProvider(Provider):
    def get_model_prefix(self) -> str:
        return ""  # the data source's type name is the provider's name: "external"

    def get_provider_schema(self, diags: Diagnostics) -> Schema:
        return Schema()

    def full_name(self) -> str:
        return PROVIDER_ADDRESS

    def validate_config(self, diags: Diagnostics, config: Config) -> None:
        pass

    def configure_provider(self, diags: Diagnostics, config: Config) -> None:
        pass

    def get_data_sources(self) -> list[type[DataSource]]:
        return [ExternalDataSource]

    def get_resources(self) -> list:
        return []


def _install_stop_hook() -> None:
    """Kill running programs when Terraform calls StopProvider (it does so on Ctrl-C)."""
    from tf import provider as tf_provider

    servicer = tf_provider.ProviderServicer
    original = servicer.StopProvider

    def stop_provider(self: Any, request: Any, context: Any) -> Any:
        _kill_running_programs()
        return original(self, request, context)

    servicer.StopProvider = stop_provider  # type: ignore[method-assign]


def main() -> None:
    # Like every go-plugin binary: refuse to run when not started by Terraform.
    if not os.environ.get("TF_PLUGIN_MAGIC_COOKIE") and "--dev" not in sys.argv:
        print(
            "This binary is a plugin (the OFFLINE stand-in for hashicorp/external). These are "
            "not meant to be executed directly.\nPlease execute the program that consumes these "
            "plugins, which will\nload any plugins automatically",
            file=sys.stderr,
        )
        sys.exit(1)
    # Like go-plugin, swallow SIGINT: on Ctrl-C the terminal signals Terraform's whole process
    # group, and the provider must live on to report what happened to the program (a handler,
    # not SIG_IGN, so that the programs it starts still get the default disposition).
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    _install_stop_hook()
    run_provider(ExternalProvider(), sys.argv)


if __name__ == "__main__":
    main()
