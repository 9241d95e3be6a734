#
# One image for every Lumora role: manager, edge, cell (shared or dedicated), migrate and the
# operator commands. The role is the first argument:
#
#   docker run IMAGE cell --host 0.0.0.0 --port 8080 --shared      (the default CMD)
#   docker run IMAGE edge --host 0.0.0.0 --port 8080 --root-domain shop.example.com ...
#   docker run IMAGE manager --host 0.0.0.0 --port 8080 ...
#   docker run IMAGE migrate
#
# Build:  docker build -t REPO/lumora:0.2.0 --build-arg LUMORA_VERSION=0.2.0 .
# The tag, LUMORA_VERSION and `lumora releases create <version>` must name the same version,
# and a version's image must never be rebuilt under the same tag (docs/DEPLOY.md).

# ---------------------------------------------------------------------------------------------
# Build stage: the Swift version of the development machines (swift --version: 6.3.1).
FROM swift:6.3.1-bookworm AS build

WORKDIR /build

# Resolve dependencies before the sources are copied: this layer (the checkouts in .build) is
# reused as long as Package.swift and Package.resolved do not change. No BuildKit-only syntax,
# so plain `docker build` and Cloud Build both work.
# Package.resolved is git-ignored in this repository: when the build context has one (a working
# copy that has been built), its pins are used exactly; a fresh clone resolves the newest
# versions the manifest allows.
COPY Package.* ./
RUN swift package resolve $([ -f Package.resolved ] && echo --force-resolved-versions)

# The manifest names test-support targets under Tests/, so they must exist for the package to
# load even though only the `lumora` product is built.
COPY Sources ./Sources
COPY Tests ./Tests

# Build with the Swift runtime linked in, then stage the binary and the resource bundles that
# SwiftPM puts next to it: lumora_LumoraDatabase.resources (the SQL migrations) and
# lumora_LumoraEdge.resources (templates, static files). Bundle.module looks for them beside
# the executable, and a release reads a version's store migrations from there too.
RUN swift build -c release --product lumora --static-swift-stdlib \
 && BIN="$(swift build -c release --show-bin-path)" \
 && mkdir -p /staging \
 && cp "$BIN/lumora" /staging/lumora \
 && find -L "$BIN/" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
 && test -d /staging/lumora_LumoraDatabase.resources/Migrations \
 && test -d /staging/lumora_LumoraEdge.resources/Templates \
 && test -d /staging/lumora_LumoraEdge.resources/Static \
 && if [ -x /usr/libexec/swift/linux/swift-backtrace-static ]; then \
        cp /usr/libexec/swift/linux/swift-backtrace-static /staging/; fi

# ---------------------------------------------------------------------------------------------
# Runtime stage. With --static-swift-stdlib the binary needs only glibc, libstdc++, libgcc_s
# and zlib (NIO's compression), all in bookworm-slim. Lumora does not use FoundationNetworking
# (HTTP goes through AsyncHTTPClient) or FoundationXML, so no libcurl or libxml2.
# ca-certificates: TLS to Google and Vercel APIs, to cells on *.run.app, and to PostgreSQL.
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*

# Extra certificate authorities to trust, e.g. the Cloud SQL instance's server CA
# (deploy/ca-certificates/*.crt): DATABASE_URL's sslmode=require verifies the server's
# certificate against the system trust store, and Cloud SQL's CA is not a public one.
COPY deploy/ca-certificates/ /usr/local/share/ca-certificates/lumora/
RUN update-ca-certificates

# A non-root user. Its home is the working directory, so the default --data-dir (.lumora,
# where the manager writes logs/ and, without LUMORA_OPERATOR_TOKEN / LUMORA_EDGE_SECRET, the
# secrets it generates) is writable. In production those secrets come from the environment.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/lumora --shell /usr/sbin/nologin lumora

WORKDIR /app
COPY --from=build --chown=root:root /staging/ /app/

# LUMORA_VERSION is deliberately not baked in: the roles read it as is (an empty value would
# become an empty version name), so it is set where the container is deployed (the manager
# sets it on the cells it creates; docs/DEPLOY.md sets it for the manager, edge and migrate).
ARG LUMORA_VERSION=unknown
LABEL org.opencontainers.image.title="lumora" org.opencontainers.image.version="${LUMORA_VERSION}"
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER lumora:lumora
WORKDIR /var/lib/lumora

EXPOSE 8080
ENTRYPOINT ["/app/lumora"]
CMD ["cell", "--host", "0.0.0.0", "--port", "8080", "--shared"]
