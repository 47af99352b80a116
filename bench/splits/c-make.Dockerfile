FROM buildpack-deps:bookworm AS build

WORKDIR /usr/src/wordfreq
COPY . .
RUN make

FROM debian:bookworm-slim
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
WORKDIR /usr/src/wordfreq
COPY --from=build /usr/src/wordfreq /usr/src/wordfreq
ENTRYPOINT ["./wordfreq"]
