"""The local QSMO stack without Docker, one concern per module.

``deploy/local/qsmo_stack.py`` is the command line and the import the test suite and the
benchmarks use; it re-exports the names below.

- ``paths``: where the repository, ``deploy/local`` and the tool cache (``~/.cache/qsmo``) are.
- ``console``: ``StackError`` (a message saying what to do) and the ``[stack]`` log line.
- ``toolchain``: tools that must be on PATH, and running ``go``.
- ``kafka``: the Kafka jars from Maven Central, the broker's config and storage, readiness.
- ``ferretdb``: the FerretDB build from the Go module proxy, with the stack's patches.
- ``oidc_provider``: npm's oidc-provider (pinned by ``deploy/local/oidc``'s lockfile) installed
  into the cache, and the stack's local OpenID provider (``server.mjs``).
- ``prometheus``: Debian's Prometheus and its config rendered with the stack's ports.
- ``kustomize``: the pinned kustomize the manifest tests use.
- ``poppler``: Debian's poppler-utils (``pdftoppm``, ``pdftotext``) the packet tests read PDFs with.
- ``ports``: the development ports and free ones for test stacks.
- ``readiness``: waiting for a port, an HTTP answer or a coroutine.
- ``processes``: background processes with pid files, stopped by process group.
- ``stack``: ``Stack``, the infrastructure and services of one home directory.
- ``groups``: consumer-group offsets and lag (``make groups``).
- ``dead_letters``: the newest dead letters, decoded (``make dlq``).
- ``oidc_sign_in``: signing in as a development user through the provider's login page.
- ``cli``: ``token``, ``up``, ``down``, ``status``, ``clean``, ``prepare``, ``keys``, ``groups``, ``dlq``.
"""
