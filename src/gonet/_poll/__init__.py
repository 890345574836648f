# gonet._poll: the fd layer between net and the runtime (Go: internal/poll).
#
# The only layer that talks to the netpoller's pollDesc API. It raises raw causes (OSError,
# ErrClosed, DeadlineExceededError); gonet.net wraps them in OpError.
from gonet._poll._fd_unix import FD, MAX_RW

__all__ = ["FD", "MAX_RW"]
