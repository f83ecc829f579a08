"""One emulator instance: the services behind one root URL, and the request pipeline every call goes through:
latency → account prefix → route → scripted/random fault → api-version → auth → account → handler. No
module-level state: two instances in one process are independent (their own store, counters and config).

Every request gets its account (`Request.account`) before its handler runs: a data-plane request the account of
its `/accounts/{name}` prefix or the default account at the bare root, an ARM request under accounts/{a} that
account (ARM's 404 when it does not exist and accounts are declared; see accounts.py)."""

from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path

from fineplan.emulator import api_versions
from fineplan.emulator.accounts import AccountRegistry
from fineplan.emulator.apierror import ApiError
from fineplan.emulator.arm.accounts_api import AccountService
from fineplan.emulator.arm.deployments import DeploymentService
from fineplan.emulator.arm.model_source import ModelLocator
from fineplan.emulator.clock import Clock, system_clock
from fineplan.emulator.config import EmulatorConfig
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.emulated_models import EmulatedModels
from fineplan.emulator.dataplane.eval_runs import RunService
from fineplan.emulator.dataplane.evals import EvalService
from fineplan.emulator.dataplane.files import FileService
from fineplan.emulator.dataplane.inference import ChatService
from fineplan.emulator.dataplane.jobs import JobService
from fineplan.emulator.dataplane.models import ModelService
from fineplan.emulator.faults import FaultInjector, parse_faults
from fineplan.emulator.http_types import Plane, Request, Response
from fineplan.emulator.routes import (
    Route,
    Router,
    arm_route,
    classify,
    data_route,
    location_route,
    resource_group_route,
    split_account_prefix,
    subscription_route,
    v1_route,
)
from fineplan.emulator.store import Store

log = logging.getLogger("fineplan.emulator")

# ARM operations on an account itself (they handle a missing account their own way); every other route under
# accounts/{a} needs the account to exist.
_ACCOUNT_OPS = frozenset({"get_account", "put_account", "delete_account"})
_UNAUTHORIZED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
    "active subscription and use a correct regional API endpoint for your resource."
)
_FAULT_CODES = {
    Plane.ARM: {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"},
    Plane.DATA_DATED: {429: "tooManyRequests", 500: "internalFailure", 503: "serviceUnavailable"},
}


class Emulator:
    def __init__(self, data_dir: Path, config: EmulatorConfig, clock: Clock = system_clock) -> None:
        self.store = Store(data_dir)
        self.config = config
        self.core = Core(self.store, config, clock)
        self.faults = FaultInjector(parse_faults(config.faults))
        self.accounts = AccountRegistry(self.store, config, clock())
        self.files = FileService(self.core)
        self.jobs = JobService(self.core, self.files)
        locator = ModelLocator(self.accounts, self.jobs.deployable_base, self.jobs.homes_of)
        self.deployments = DeploymentService(self.core, self.accounts, locator)
        self.account_api = AccountService(self.core, self.accounts, self.jobs)
        self.emulated_models = EmulatedModels(self.core)
        self.chat = ChatService(self.core, self.deployments, self.emulated_models)
        self.models = ModelService(self.core, self.jobs)
        self.evals = EvalService(self.core)
        self.eval_runs = RunService(self.core, self.evals, self.deployments, self.emulated_models)
        self.router = Router(self._routes())

    def _routes(self) -> list[Route]:
        f, j, d, a = self.files, self.jobs, self.deployments, self.account_api
        c, m, e, r = self.chat, self.models, self.evals, self.eval_runs
        job = "/fine_tuning/jobs/(?P<job_id>[^/]+)"
        ev = "/evals/(?P<eval_id>[^/]+)"
        run = ev + "/runs/(?P<run_id>[^/]+)"
        return [
            data_route("POST", "/files", "create_file", f.create),
            data_route("GET", "/files", "list_files", f.list_files),
            data_route("POST", "/files/import", "import_file", f.import_, dated_only=True),
            data_route("GET", "/files/(?P<file_id>[^/]+)", "get_file", f.get),
            data_route("DELETE", "/files/(?P<file_id>[^/]+)", "delete_file", f.delete),
            data_route("GET", "/files/(?P<file_id>[^/]+)/content", "get_file_content", f.content),
            data_route("POST", "/fine_tuning/jobs", "create_job", j.create),
            data_route("GET", "/fine_tuning/jobs", "list_jobs", j.list_jobs),
            data_route("GET", job, "get_job", j.get),
            data_route("DELETE", job, "delete_job", j.delete, dated_only=True),
            data_route("POST", job + "/cancel", "cancel_job", j.cancel),
            data_route("POST", job + "/pause", "pause_job", j.pause),
            data_route("POST", job + "/resume", "resume_job", j.resume),
            data_route("GET", job + "/events", "list_events", j.events),
            data_route("GET", job + "/checkpoints", "list_checkpoints", j.checkpoints),
            data_route(
                "POST",
                "/deployments/(?P<deployment>[^/]+)/chat/completions",
                "create_chat_completion",
                c.create_dated,
                dated_only=True,
            ),
            v1_route("POST", "/chat/completions", "create_chat_completion", c.create_v1),
            data_route("GET", "/models", "list_models", m.list_models),
            data_route("GET", "/models/(?P<model_id>[^/]+)", "get_model", m.get),
            data_route("POST", "/evals", "create_eval", e.create),
            data_route("GET", "/evals", "list_evals", e.list_evals),
            data_route("GET", ev, "get_eval", e.get),
            data_route("POST", ev, "update_eval", e.update),
            data_route("DELETE", ev, "delete_eval", e.delete),
            data_route("POST", ev + "/runs", "create_eval_run", r.create),
            data_route("GET", ev + "/runs", "list_eval_runs", r.list_runs),
            data_route("GET", run, "get_eval_run", r.get),
            data_route("POST", run, "cancel_eval_run", r.cancel),  # Azure's specs
            data_route("POST", run + "/cancel", "cancel_eval_run", r.cancel),  # what the openai SDK sends
            data_route("DELETE", run, "delete_eval_run", r.delete),
            data_route("GET", run + "/output_items", "list_eval_output_items", r.list_items),
            data_route("GET", run + "/output_items/(?P<item_id>[^/]+)", "get_eval_output_item", r.get_item),
            arm_route("GET", "", "get_account", a.get),
            arm_route("PUT", "", "put_account", a.put),
            arm_route("DELETE", "", "delete_account", a.delete),
            arm_route("GET", "/models/?", "list_account_models", a.account_models),
            resource_group_route("GET", "/accounts/?", "list_accounts", a.list_by_resource_group),
            subscription_route("GET", "/accounts/?", "list_all_accounts", a.list_by_subscription),
            location_route("GET", "/models/?", "list_location_models", a.location_models),
            arm_route("GET", "/deployments/(?P<name>[^/]+)/skus/?", "list_deployment_skus", d.list_skus),
            arm_route("GET", "/deployments/?", "list_deployments", d.list_deployments),
            arm_route("GET", "/deployments/(?P<name>[^/]+)", "get_deployment", d.get),
            arm_route("PUT", "/deployments/(?P<name>[^/]+)", "put_deployment", d.put),
            arm_route("PATCH", "/deployments/(?P<name>[^/]+)", "patch_deployment", d.patch),
            arm_route("DELETE", "/deployments/(?P<name>[^/]+)", "delete_deployment", d.delete),
            location_route("GET", "/operationStatuses/(?P<op_id>[^/]+)", "get_operation_status", d.operation_status),
            location_route("GET", "/operationResults/(?P<op_id>[^/]+)", "get_operation_result", d.operation_result),
        ]

    def dispatch(self, req: Request) -> Response:
        prefix, req.path = split_account_prefix(req.path)
        if prefix is not None:
            req.root = f"{req.root}/accounts/{prefix}"  # absolute URLs in answers stay under the prefix
        plane = classify(req.path)
        req.plane = plane or Plane.DATA_DATED
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)  # injected latency is the product behaviour asked for, per request
        try:
            if plane is None:
                raise ApiError(404, "404", "Resource not found")
            route = self.router.match(req)
            injected = self.faults.check(route.op)
            if injected is not None:
                return self._fault(injected, req.plane)
            self._check_api_version(req)
            self._authenticate(req)
            self._resolve_account(req, prefix, route.op)
            return route.handler(req)
        except ApiError as exc:
            return exc.to_response(req.plane)
        except Exception:
            log.exception("emulator: unhandled error on %s %s", req.method, req.path)
            return ApiError(500, "internalFailure", "The emulator failed to handle the request.").to_response(req.plane)

    def _fault(self, status: int, plane: Plane) -> Response:
        codes = _FAULT_CODES[Plane.ARM if plane is Plane.ARM else Plane.DATA_DATED]
        headers = {"retry-after-ms": str(self.faults.spec.retry_after_ms)} if status == 429 else {}
        code = codes.get(status, f"injectedFault{status}")
        return ApiError(status, code, f"Injected fault ({status}).", headers=headers).to_response(plane)

    def _check_api_version(self, req: Request) -> None:
        location = req.params.get("location") or self.accounts.default.location
        api_versions.check(req.plane, req.api_version, location=location)

    def _resolve_account(self, req: Request, prefix: str | None, op: str) -> None:
        if req.plane is not Plane.ARM:
            account = self.accounts.default if prefix is None else self.accounts.by_name(prefix)
            if account is None:
                raise ApiError(404, "404", "Resource not found")  # no such host on Azure; its closest answer
            req.account = account
        elif "account" in req.params and op not in _ACCOUNT_OPS:
            p = req.params
            req.account = self.accounts.require(p["sub"], p["rg"], p["account"], nested=True)

    def _authenticate(self, req: Request) -> None:
        key = self.config.api_key
        if key is None:
            return  # an open emulator: any credential, or none, is accepted
        bearer = _bearer(req)
        if req.plane is Plane.ARM:
            if bearer is None:
                raise ApiError(
                    401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
                )
            if not hmac.compare_digest(bearer.encode(), key.encode()):
                raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.")
            return
        supplied = req.headers.get("api-key") or bearer
        if supplied is None or not hmac.compare_digest(supplied.encode(), key.encode()):
            raise ApiError(401, "401", _UNAUTHORIZED)

    def close(self) -> None:
        self.store.close()


def _bearer(req: Request) -> str | None:
    value = req.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
