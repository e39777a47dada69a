# Two stages: build the jar with the Maven wrapper, run it on a JRE.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY config config
COPY src src
RUN ./mvnw -B -q package -DskipTests

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/target/events-server.jar /app/events-server.jar
EXPOSE 5500
USER 1000
ENTRYPOINT ["java", "-jar", "/app/events-server.jar"]
