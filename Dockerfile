# Build a static binary and run it as a non-root user in a minimal image.
# The zone database is embedded (time/tzdata), so the image needs no tzdata.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/livechat-digest .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/livechat-digest /livechat-digest
WORKDIR /home/nonroot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/livechat-digest"]
CMD ["serve", "--config", "/etc/livechat-digest/config.yaml"]
