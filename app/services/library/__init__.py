"""The library desk: catalogue (MARC import), circulation (checkout, check-in, renew, holds),
classroom loans (class sets, textbooks), lists (overdues, clearance), inventory, offline sync
and the SIP2 server for self-check machines. Services take a Connection; the caller commits."""
