"""Measure import time and per-call overhead of the facade (run by ``nox -s bench``).

Prints, from one run on this machine:

- cold ``import finapi`` next to ``import httpx`` alone (median of fresh
  interpreters; ``import finapi`` includes httpx);
- the time per call through a user session's managed httpx client (cached
  token: FinAPIAuth, request id, retrying transport, logging checks) next to a
  plain ``httpx.Client`` with a static bearer header, both against the same
  in-process emulator, interleaved in rounds; plus, for information, a whole
  generated operation (request plus model parsing) through the facade.

Targets: import within 1.3x of httpx alone; per call within 1.15x of raw httpx.
This is a report, not a test: it never fails on timing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

IMPORT_SNIPPET = (
    "import time; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t)"
)


PAIRED_SNIPPET = (
    "import time; t0 = time.perf_counter(); import httpx; t1 = time.perf_counter(); "
    "import finapi; t2 = time.perf_counter(); print(t1 - t0, t2 - t0)"
)


def _run(code: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [float(x) for x in out.stdout.split()]


def cold_imports(runs: int) -> tuple[list[float], list[float], list[float]]:
    """Import httpx and finapi in fresh interpreters, interleaved.

    Returns:
        Seconds for ``import httpx`` alone, for ``import finapi`` alone, and the
        paired ratios (httpx then finapi in one interpreter: total / httpx part).
    """
    httpx_times, finapi_times, paired = [], [], []
    for _ in range(runs):
        httpx_times += _run(IMPORT_SNIPPET.format(module="httpx"))
        finapi_times += _run(IMPORT_SNIPPET.format(module="finapi"))
        httpx_part, total = _run(PAIRED_SNIPPET)
        paired.append(total / httpx_part)
    return httpx_times, finapi_times, paired


def per_call(calls: int, rounds: int) -> dict[str, list[float]]:
    """Time GET /api/v1/users through the facade and through raw httpx, in rounds."""
    import httpx

    import finapi
    from finapi.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator
    from finapi_access.api.users import get_authorized_user

    emu = Emulator(token_lifetime=3599, seed=0)
    transport = emu.sync_transport()
    fin = finapi.FinAPI(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        access_url=emu.access_url,
        webform_url=emu.webform_url,
        transport=transport,
    )
    new = fin.users.create()
    session = fin.user(new.id, new.password)
    token = session.token().access_token
    managed = session.access.get_httpx_client()
    raw = httpx.Client(
        transport=transport,
        base_url=emu.access_url,
        headers={"Authorization": f"Bearer {token}"},
    )
    raw_no_env = httpx.Client(
        transport=transport,
        base_url=emu.access_url,
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
    )

    def facade_call() -> None:
        managed.get("/api/v1/users").json()

    def raw_call() -> None:
        response = raw.get("/api/v1/users")
        response.raise_for_status()
        response.json()

    def raw_no_env_call() -> None:
        response = raw_no_env.get("/api/v1/users")
        response.raise_for_status()
        response.json()

    def generated_call() -> None:
        get_authorized_user.sync(client=session.access)

    cases = {
        "raw httpx": raw_call,
        "raw httpx, trust_env=False": raw_no_env_call,
        "facade": facade_call,
        "facade + generated op": generated_call,
    }
    for call in cases.values():  # warm up
        for _ in range(50):
            call()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            start = time.perf_counter()
            for _ in range(calls):
                call()
            results[name].append((time.perf_counter() - start) / calls)
    raw.close()
    raw_no_env.close()
    fin.close()
    emu.close()
    return results


def per_call_no_server(calls: int, rounds: int) -> dict[str, list[float]]:
    """The same comparison over a transport that answers at once (no server work).

    This isolates the facade's own cost per call, which the emulator's time
    otherwise hides.
    """
    import httpx

    import finapi

    body = b'{"id":"u","password":null,"email":null,"phone":null,"isAutoUpdateEnabled":false}'
    token = (
        b'{"access_token":"'
        + b"t" * 64
        + b'","token_type":"bearer","expires_in":3599,"refresh_token":"r","scope":"all"}'
    )

    def answer(request: httpx.Request) -> httpx.Response:
        content = token if request.url.path == "/oauth/token" else body
        return httpx.Response(
            200, content=content, headers={"content-type": "application/json"}
        )

    transport = httpx.MockTransport(answer)
    fin = finapi.FinAPI(
        "client",
        "secret",
        access_url="http://finapi.test",
        webform_url="http://wf.test",
        transport=transport,
    )
    managed = fin.user("u", "password").access.get_httpx_client()
    raw = httpx.Client(
        transport=transport,
        base_url="http://finapi.test",
        headers={"Authorization": "Bearer " + "t" * 64},
    )
    cases = {
        "raw httpx": lambda: raw.get("/api/v1/users").json(),
        "facade": lambda: managed.get("/api/v1/users").json(),
    }
    for call in cases.values():
        for _ in range(200):
            call()
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            start = time.perf_counter()
            for _ in range(calls):
                call()
            results[name].append((time.perf_counter() - start) / calls)
    raw.close()
    fin.close()
    return results


def main() -> None:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-runs", type=int, default=21)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    httpx_times, finapi_times, paired = cold_imports(args.import_runs)
    httpx_median = statistics.median(httpx_times)
    finapi_median = statistics.median(finapi_times)
    print(f"Python {sys.version.split()[0]} on {sys.platform}")
    print(
        f"cold import, median of {args.import_runs} fresh interpreters each, interleaved:"
    )
    print(f"  import httpx   {httpx_median * 1000:8.1f} ms")
    print(
        f"  import finapi  {finapi_median * 1000:8.1f} ms   "
        f"ratio {finapi_median / httpx_median:.3f} (target <= 1.30)"
    )
    print(
        f"  paired in one interpreter (httpx, then finapi): median ratio "
        f"{statistics.median(paired):.3f}"
    )

    results = per_call(args.calls, args.rounds)
    base = min(
        statistics.median(results["raw httpx"]),
        statistics.median(results["raw httpx, trust_env=False"]),
    )
    print(
        f"per call, GET /api/v1/users on the in-process emulator, median of "
        f"{args.rounds} rounds x {args.calls} calls:"
    )
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median * 1e6:8.1f} us   ratio {median / base:.3f}")
    facade = statistics.median(results["facade"])
    print(
        f"facade on a cached token vs the faster raw httpx: ratio {facade / base:.3f} "
        "(target <= 1.15)"
    )

    bare = per_call_no_server(args.calls * 3, args.rounds)
    bare_base = statistics.median(bare["raw httpx"])
    print("for information, over a transport that answers at once (no server work):")
    for name, values in bare.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median * 1e6:8.1f} us   ratio {median / bare_base:.3f}")
    extra = statistics.median(bare["facade"]) - bare_base
    print(f"  the facade's own cost per call: {extra * 1e6:.1f} us")


if __name__ == "__main__":
    main()
