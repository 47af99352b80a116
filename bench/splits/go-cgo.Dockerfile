FROM golang:1.19 AS build

WORKDIR /go/src/checksum
COPY . .

RUN go build -o /usr/local/bin/checksum .

FROM debian:bookworm-slim
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/checksum /usr/local/bin/checksum
WORKDIR /go/src/checksum
COPY --from=build /go/src/checksum /go/src/checksum
EXPOSE 8080
CMD ["checksum"]
