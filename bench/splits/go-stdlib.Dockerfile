FROM golang:1.19 AS build

WORKDIR /go/src/app
COPY . .

RUN go build -o /usr/local/bin/shorturl .

FROM debian:bookworm-slim
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/local/bin/shorturl /usr/local/bin/shorturl
WORKDIR /go/src/app
COPY --from=build /go/src/app /go/src/app
EXPOSE 8080
CMD ["shorturl"]
