FROM eclipse-temurin:17-jdk AS build

WORKDIR /app
COPY src ./src
RUN javac -d classes src/main/java/app/Main.java \
    && jar --create --file app.jar --main-class app.Main -C classes .

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /app /app
EXPOSE 8080
CMD ["java", "-jar", "app.jar"]
