"""The first lines of a script that must not reach the network: every connection attempt raises.

Tests that run the toolkit in a subprocess (models, NER, the whole pipeline) prepend it, so an attempt to
download anything fails loudly instead of passing on a machine that happens to be online.
"""

REFUSE_NETWORK = r"""
import socket
def refuse(*args, **kwargs):
    raise RuntimeError(f"network access attempted: {args!r}")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
"""
