# dataport container image: a static binary (CGO_ENABLED=0; the SQLite store
# is pure Go) on distroless/static, which carries CA certificates, tzdata and
# /tmp, and runs as the unprivileged user 65532 (nonroot).
#
#   docker build -t dataport:dev --build-arg VERSION=$(git describe --always) .
#   docker run -p 8080:8080 -v dataport-data:/data dataport:dev
#
# The image's command is `dataport serve --addr 0.0.0.0:8080 --data /data`;
# every flag also reads DATAPORT_<FLAG> (DATAPORT_DB, DATAPORT_NODE, ...).
# See docs/operations.md and deploy/kubernetes/.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# timetzdata embeds the zone database too, so Asia/Shanghai resolves even on
# an image without /usr/share/zoneinfo.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags "-s -w -X main.version=${VERSION}" -o /out/dataport ./cmd/dataport

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dataport /usr/local/bin/dataport
# The data directory: the SQLite store (without --db), the ledger's tiles and
# key, files. With replicas it is one shared (ReadWriteMany) volume.
VOLUME /data
ENV TZ=Asia/Shanghai
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/dataport"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
