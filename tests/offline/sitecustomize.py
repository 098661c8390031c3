"""The network refused, for ``make notebooks-offline`` (issue #11).

Python imports a ``sitecustomize`` module found on ``PYTHONPATH`` at start-up, so every
process of that target, the Jupyter kernels included, runs this first: name look-ups of any
host but this machine fail, and so does any connection to an address that is not loopback,
as on a machine without a network. Loopback stays open (a kernel talks to its client there).
Nothing else of the book changes: gapkit's own download meets the refusal as a reader's
would.
"""

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "", None}
_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _getaddrinfo_offline(host, *args, **kwargs):
    if not _local(host):
        raise socket.gaierror(socket.EAI_NONAME, f"network refused (offline test): {host}")
    return _getaddrinfo(host, *args, **kwargs)


def _refuse(address) -> None:
    if isinstance(address, tuple) and not _local(address[0]):
        raise ConnectionRefusedError(f"network refused (offline test): {address[0]}")


def _connect_offline(self, address):
    _refuse(address)
    return _connect(self, address)


def _connect_ex_offline(self, address):
    _refuse(address)
    return _connect_ex(self, address)


socket.getaddrinfo = _getaddrinfo_offline
socket.socket.connect = _connect_offline
socket.socket.connect_ex = _connect_ex_offline
