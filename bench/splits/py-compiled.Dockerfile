FROM python:3.11 AS build

WORKDIR /app
COPY . .
RUN pip install --no-build-isolation .

FROM python:3.11-slim
COPY --from=build /usr/local/lib/python3.11/dist-packages /usr/local/lib/python3.11/dist-packages
WORKDIR /app
COPY --from=build /app /app
EXPOSE 8000
CMD ["python3", "app.py"]
