"""What the client reads about operations and jobs: get_operation, list_operations,
list_jobs, get_job and get_job_stderr, in the shapes YT's API v4 answers with.

The client's ``Operation.wait`` polls ``get_operation`` for ``state``; on failure it reads
``result/error``, lists the failed jobs and downloads their stderr, which is how a job's
stderr ends up in ``YtOperationFailedError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ytflow.localyt.cypress_nodes import now_iso
from ytflow.localyt.op_kinds import JobInfo
from ytflow.localyt.operations import FINISHED, Operation, operation_id_param
from ytflow.localyt.registry import Request, Streamed, command
from ytflow.localyt.yt_errors import NO_SUCH_JOB, YtLocalError

if TYPE_CHECKING:
    from ytflow.localyt.endpoint import Endpoint

ADDRESS = "localhost:0"  # the one "node" every job runs on
_BRIEF_SPEC_KEYS = ("input_table_paths", "output_table_paths", "title", "pool", "reduce_by")
_LIST_DEFAULT_LIMIT = 100


@command("get_operation", volatile=False)
@command("get_op", volatile=False)
def get_operation(endpoint: Endpoint, request: Request) -> Any:
    operation = endpoint.operations.get(operation_id_param(request))
    return _select(describe(operation), request.get("attributes"))


@command("list_operations", volatile=False)
def list_operations(endpoint: Endpoint, request: Request) -> Any:
    with endpoint.operations.lock:
        operations = list(endpoint.operations.operations.values())
    found = [each for each in operations if _matches(each, request)]
    found.sort(key=lambda each: each.start_time, reverse=True)
    cursor = request.get("cursor_time")
    if cursor:
        past = request.get("cursor_direction", "past") == "past"
        found = [e for e in found if (e.start_time < cursor if past else e.start_time > cursor)]
    limit = int(request.get("limit") or _LIST_DEFAULT_LIMIT)
    result: dict[str, Any] = {
        "operations": [_select(_brief(each), request.get("attributes")) for each in found[:limit]],
        "incomplete": len(found) > limit,
    }
    if request.get("include_counters", True):
        result.update(
            state_counts=_counts(_state(each) for each in found),
            type_counts=_counts(each.context.operation_type for each in found),
            user_counts=_counts("root" for _ in found),
            pool_counts=_counts(str(each.context.spec.get("pool", "root")) for each in found),
            failed_jobs_count=sum(1 for each in found if each.context.jobs.failed),
        )
    return result


@command("list_jobs", volatile=False)
def list_jobs(endpoint: Endpoint, request: Request) -> Any:
    operation = endpoint.operations.get(operation_id_param(request))
    with operation.context.lock:
        jobs = list(operation.context.job_infos.values())
    state, kind = request.get("job_state"), request.get("job_type")
    with_stderr = request.get("with_stderr")
    jobs = [
        job
        for job in jobs
        if (state is None or job.state == state)
        and (kind is None or job.type == kind)
        and (with_stderr is None or bool(job.stderr) == bool(with_stderr))
    ]
    field = str(request.get("sort_field") or "none")
    if field != "none":
        jobs.sort(
            key=lambda job: str(_job_entry(operation, job).get(field, "")),
            reverse=request.get("sort_order") == "descending",
        )
    offset = int(request.get("offset") or 0)
    limit = int(request.get("limit") or 1000)
    return {
        "jobs": [_job_entry(operation, job) for job in jobs[offset : offset + limit]],
        "cypress_job_count": 0,
        "controller_agent_job_count": len(jobs),
        "archive_job_count": 0,
        "state_counts": _counts(job.state for job in jobs),
        "type_counts": _counts(job.type for job in jobs),
        "errors": [],
    }


@command("get_job", volatile=False)
def get_job(endpoint: Endpoint, request: Request) -> Any:
    operation, job = _job(endpoint, request)
    return {**_job_entry(operation, job), "job_id": job.id}


@command("get_job_stderr", output_type="binary", volatile=False, heavy=True)
def get_job_stderr(endpoint: Endpoint, request: Request) -> Any:
    stderr_type = request.get("type")
    if stderr_type not in (None, "user_job_stderr"):
        raise YtLocalError(f"local-yt keeps only user job stderr, not {stderr_type!r}")
    _, job = _job(endpoint, request)
    return Streamed(iter([job.stderr]))


# -- shapes -----------------------------------------------------------------------------------


def describe(operation: Operation) -> dict[str, Any]:
    """Everything ``get_operation`` knows about an operation."""
    context = operation.context
    spec = context.spec
    jobs = _job_counters(operation)
    described: dict[str, Any] = {
        **_brief(operation),
        "spec": spec,
        "full_spec": spec,
        "provided_spec": spec,
        "unrecognized_spec": {},
        "progress": {"jobs": jobs, "build_time": now_iso()},
        "alerts": {},
        "events": [{"state": "running", "time": operation.start_time}]
        + (
            [{"state": operation.state, "time": operation.finish_time}]
            if operation.finish_time
            else []
        ),
    }
    if operation.state in FINISHED:
        error = operation.error
        described["result"] = {
            "error": error.to_yt() if error else {"code": 0, "message": "", "attributes": {}}
        }
    return described


def _brief(operation: Operation) -> dict[str, Any]:
    context = operation.context
    brief: dict[str, Any] = {
        "id": operation.id,
        "type": context.operation_type,
        "operation_type": context.operation_type,
        "state": _state(operation),
        "authenticated_user": "root",
        "start_time": operation.start_time,
        "brief_spec": {k: context.spec[k] for k in _BRIEF_SPEC_KEYS if k in context.spec},
        "brief_progress": {"jobs": _job_counters(operation), "build_time": now_iso()},
        "runtime_parameters": {"owners": [], "acl": []},
        "suspended": False,
    }
    if operation.finish_time:
        brief["finish_time"] = operation.finish_time
    return brief


def _state(operation: Operation) -> str:
    """YT's state names: an aborted operation is "aborting" until its jobs are gone."""
    if operation.state == "running" and operation.context.cancel_event.is_set():
        return "aborting"
    return operation.state


def _job_counters(operation: Operation) -> dict[str, int]:
    context = operation.context
    with context.lock:
        jobs = context.jobs
        return {
            "total": jobs.total,
            "pending": max(jobs.pending, 0) if operation.state not in FINISHED else 0,
            "running": jobs.running,
            "completed": jobs.completed,
            "failed": jobs.failed,
            "aborted": jobs.aborted,
            "lost": 0,
        }


def _job_entry(operation: Operation, job: JobInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": job.id,
        "operation_id": operation.id,
        "type": job.type,
        "job_type": job.type,
        "task_name": job.task_name,
        "state": job.state,
        "address": ADDRESS,
        "start_time": job.start_time,
    }
    if job.finish_time:
        entry["finish_time"] = job.finish_time
    if job.error is not None:
        entry["error"] = job.error
    if job.stderr:
        entry["stderr_size"] = len(job.stderr)
    return entry


def _job(endpoint: Endpoint, request: Request) -> tuple[Operation, JobInfo]:
    operation = endpoint.operations.get(operation_id_param(request))
    job_id = str(request.get("job_id") or "")
    with operation.context.lock:
        job = operation.context.job_infos.get(job_id)
    if job is None:
        raise YtLocalError(
            f"No such job {job_id} in operation {operation.id}",
            code=NO_SUCH_JOB,
            attributes={"job_id": job_id, "operation_id": operation.id},
        )
    return operation, job


def _matches(operation: Operation, request: Request) -> bool:
    context = operation.context
    checks = (
        ("state", _state(operation)),
        ("type", context.operation_type),
        ("user", "root"),
        ("pool", str(context.spec.get("pool", "root"))),
    )
    for name, actual in checks:
        wanted = request.get(name)
        if wanted is not None and str(wanted) != actual:
            return False
    text = request.get("filter")
    if text and str(text).lower() not in f"{operation.id} {context.operation_type} root".lower():
        return False
    if request.get("with_failed_jobs") is not None and bool(
        request.get("with_failed_jobs")
    ) != bool(context.jobs.failed):
        return False
    start, end = request.get("from_time"), request.get("to_time")
    return not (start and operation.start_time < start) and not (end and operation.start_time > end)


def _select(described: dict[str, Any], attributes: Any) -> dict[str, Any]:
    if not attributes:
        return described
    wanted = {str(name) for name in attributes}
    return {key: value for key, value in described.items() if key in wanted}


def _counts(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
