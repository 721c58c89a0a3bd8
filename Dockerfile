# The otelcol-webhook distribution in a minimal image:
#
#   docker build -t otelcol-webhook .
#   docker run --rm -v "$PWD/config.yaml:/etc/otelcol-webhook/config.yaml:ro" otelcol-webhook
#
# The build stage runs `make dist` as a checkout would, static and with paths
# trimmed; the image holds the binary alone and runs it as a user without
# privileges. Mount a
# writable volume for dead_letter::directory and file_storage, and listen on
# 0.0.0.0 (not localhost) in the config for receivers outside the container.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 GOFLAGS=-trimpath make dist

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/_build/otelcol-webhook /otelcol-webhook
ENTRYPOINT ["/otelcol-webhook"]
CMD ["--config=/etc/otelcol-webhook/config.yaml"]
