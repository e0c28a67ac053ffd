"""The data perimeter: which AWS services confined functions reach, and on what terms.

Pure data and functions (no CDK, no AWS calls), shared by the gateway stack, the audit and
the tests: `services` (the catalogue and the refusals), `policy` (endpoint policies),
`probes` (the requests that prove a policy keeps the perimeter).
"""

from .policy import Perimeter, endpoint_policy
from .probes import Probe, probes
from .services import (
    ALWAYS_ON,
    LOGS,
    OFFERED,
    REFUSED,
    PerimeterError,
    Service,
    published_names,
    resolve_services,
)

__all__ = [
    "ALWAYS_ON",
    "LOGS",
    "OFFERED",
    "REFUSED",
    "Perimeter",
    "PerimeterError",
    "Probe",
    "Service",
    "endpoint_policy",
    "probes",
    "published_names",
    "resolve_services",
]
