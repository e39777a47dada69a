package events;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

import events.api.ApiConfiguration;
import events.api.OperationsConfiguration;

/**
 * The Spring Boot application: auto-configuration (WebFlux, Actuator) plus our API wiring. Config,
 * schema and storage are built before Spring starts and handed in by {@link EventsServer}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({ApiConfiguration.class, OperationsConfiguration.class})
public class EventsApplication {
}
