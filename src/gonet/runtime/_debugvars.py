# gonet.runtime._debugvars: the GONET_DEBUG settings (Go: runtime/runtime1.go dbgvars, GODEBUG).
#
# GONET_DEBUG is a comma-separated list of ``key=value`` pairs, read once at import into the
# module-level `settings`. The modules that act on a setting (sysmon's watchdog, poll guarantee
# and time slice; the SIGQUIT handler) read their initial value from here, and own the value
# from then on (their set_* functions change it at run time).
#
# Invariants:
# - Parsing never raises: an unknown key or a bad value is reported on logger "gonet.runtime"
#   and ignored, so a typo never stops a program from starting.
# - This module imports nothing from gonet: any runtime module may depend on it.
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

__all__ = ["Settings", "settings", "parse_duration", "parse_gonet_debug"]

log = logging.getLogger("gonet.runtime")


@dataclass
class Settings:
    """Debug settings from GONET_DEBUG (comma-separated ``key=value``). Go: GODEBUG.

    watchdog:       report goroutines running longer than this (seconds); None: off.
    pollguarantee:  longest time without a network poll while goroutines run; None: off.
    sigquit:        "exit" (dump goroutines, exit 2: Go's default), "dump" (dump, go on),
                    or "off" (leave SIGQUIT alone).
    timeslice:      how long a goroutine may run before its next yield point yields (Go's
                    forcePreemptNS); None: never preempt.
    """

    watchdog: float | None = 0.1
    pollguarantee: float | None = 0.01
    timeslice: float | None = 0.01
    sigquit: str = "exit"


_UNITS = (("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0))


def parse_duration(text: str) -> float | None:
    """Parse "100ms", "0.5s", "250us", "2m" or a bare number of milliseconds; "off"/"0" -> None.

    Raises:
        ValueError: not a duration.

    Go: time.ParseDuration (plus the bare-milliseconds and "off" forms).
    """
    t = text.strip().lower()
    if t in ("off", "0", "false", "no", "none"):
        return None
    for suffix, scale in _UNITS:
        if t.endswith(suffix) and t[: -len(suffix)].replace(".", "", 1).isdigit():
            value = float(t[: -len(suffix)]) * scale
            return value if value > 0 else None
    try:
        value = float(t) * 1e-3  # bare numbers are milliseconds, the natural unit here
    except ValueError:
        raise ValueError(
            f'time: invalid duration "{text}" (use 250ms, 0.5s, 100us, 2m, a number of ms, or off)'
        ) from None
    return value if value > 0 else None


def parse_gonet_debug(env: str) -> Settings:
    """Parse a GONET_DEBUG value such as ``watchdog=250ms,sigquit=dump``.

    Unknown keys and bad values are reported on logger "gonet.runtime" and ignored, so a typo
    never stops a program from starting.

    Go: runtime.parsedebugvars.
    """
    out = Settings()
    for item in env.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition("=")
        key = key.strip().lower()
        try:
            if key in ("watchdog", "pollguarantee", "timeslice"):
                setattr(out, key, parse_duration(value))
            elif key == "sigquit" and value.strip().lower() in ("exit", "dump", "off"):
                out.sigquit = value.strip().lower()
            else:
                raise ValueError("unknown setting")
        except ValueError as e:
            log.warning("GONET_DEBUG: ignoring %r (%s)", item, e)
    return out


settings = parse_gonet_debug(os.environ.get("GONET_DEBUG", ""))
