# Build a static binary and run it as a non-root user in a minimal image.
# The zone database is embedded (time/tzdata), so the image needs no tzdata;
# main_docker_test.go builds the binary with this file's flags and runs it
# in an empty root, as this image would.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/livechat-digest .
# The volume's mount point, owned by the nonroot user (distroless has no
# shell to mkdir/chown with).
RUN mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/livechat-digest /livechat-digest
COPY docker/config.yaml /etc/livechat-digest/config.yaml
COPY --from=build --chown=65532:65532 /out/state /var/lib/livechat-digest
# State (state.db) and the outbox: one volume. Relative paths in a mounted
# config land here too.
VOLUME /var/lib/livechat-digest
WORKDIR /var/lib/livechat-digest
ENV LIVECHAT_DIGEST_CONFIG=/etc/livechat-digest/config.yaml LIVECHAT_DIGEST_ADDR=:8080
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["/livechat-digest", "healthcheck"]
ENTRYPOINT ["/livechat-digest"]
CMD ["serve"]
