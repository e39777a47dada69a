package events;

import java.nio.file.Path;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;

/**
 * {@code java -jar events-server.jar [config.json]}: starts the server, or ends with one line naming the
 * problem and exit code 2 when the configuration, schema or database is not usable.
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        try {
            Path configFile = args.length > 0 ? Path.of(args[0]) : null;
            EventsConfig config = new ConfigLoader().load(configFile, System.getenv());
            Path configDirectory = configFile == null ? Path.of(".") : configFile.toAbsolutePath().getParent();
            String dataDir = System.getenv().getOrDefault("EVENTS_DATA_DIR", "data/postgres");
            EventsServer.start(config, configDirectory, Path.of(dataDir));
        } catch (StartupException e) {
            System.err.println("events-server: " + e.getMessage());
            System.exit(2);
        }
    }
}
