package events;

import java.nio.file.Path;
import java.util.List;

import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.error.ApiException;

/**
 * {@code java -jar events-server.jar [config.json]}: starts the server, or ends with one line naming the
 * problem and exit code 2 when the configuration, schema or database is not usable. The commands
 * {@code create} (api.md 9.3), {@code import} and {@code export} (12.3) run instead when named.
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        EventLoopThreads.defaultToHalfTheCores();
        int bulk = BulkCommands.position(args);
        if (bulk >= 0) {
            BulkCommands.logToStandardError();
            System.exit(BulkCommands.run(args, bulk, System.getenv(), System.out, System.err, () -> System.in));
        }
        int command = List.of(args).indexOf("create");
        if (command >= 0) {
            BulkCommands.logToStandardError();
            System.exit(create(args, command));
        }
        try {
            Path configFile = args.length > 0 ? Path.of(args[0]) : null;
            EventsConfig config = new ConfigLoader().load(configFile, System.getenv());
            EventsServer.initializeLogging(config);
            Path configDirectory = configFile == null ? Path.of(".") : configFile.toAbsolutePath().getParent();
            String dataDir = System.getenv().getOrDefault("EVENTS_DATA_DIR", "data/postgres");
            String adminPassword = System.getenv("EVENTS_ADMIN_PASSWORD");
            EventsServer.start(config, configDirectory, Path.of(dataDir),
                    adminPassword == null || adminPassword.isEmpty() ? null : adminPassword);
        } catch (StartupException e) {
            System.err.println("events-server: " + e.getMessage());
            System.exit(2);
        }
    }

    /**
     * {@code [config.json] create <Entity> '<json>'}: writes one document through the API's validation and
     * hashing, prints it, exits 0; a refused document prints its errors and exits 1 (api.md 9.3).
     */
    private static int create(String[] args, int command) {
        if (command > 1 || args.length != command + 3) {
            System.err.println("usage: events-server [config.json] create <Entity> '<json object>'");
            return 2;
        }
        try {
            Path configFile = command == 1 ? Path.of(args[0]) : null;
            EventsConfig config = new ConfigLoader().load(configFile, System.getenv());
            Path configDirectory = configFile == null ? Path.of(".") : configFile.toAbsolutePath().getParent();
            String dataDir = System.getenv().getOrDefault("EVENTS_DATA_DIR", "data/postgres");
            System.out.println(EventsServer.createOffline(config, configDirectory, Path.of(dataDir),
                    args[command + 1], args[command + 2]));
            return 0;
        } catch (StartupException e) {
            System.err.println("events-server: " + e.getMessage());
            return 2;
        } catch (ApiException e) {
            e.error().entries().forEach(entry -> System.err.println("events-server: " + e.error().type() + ": "
                    + (entry.field() == null ? "" : entry.field() + ": ") + entry.message()));
            return 1;
        }
    }
}
