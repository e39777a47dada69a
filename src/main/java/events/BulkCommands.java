package events;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import events.api.CommandQueries;
import events.api.ImportAnswers;
import events.auth.Access;
import events.config.ConfigLoader;
import events.config.EventsConfig;
import events.config.StartupException;
import events.documents.ImportMode;
import events.documents.ImportReport;
import events.documents.NdjsonLines;
import events.documents.RenderedJson;
import events.error.ApiException;
import events.query.CountMode;
import events.query.ListQuery;
import events.query.PageRequest;
import events.schema.Entity;
import events.schema.Schema;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The jar's {@code import} and {@code export} commands (api.md 12.3): the same pipeline as
 * {@code POST /api/{E}/_import} and the NDJSON stream of {@code GET /api/{E}}, without HTTP, with a
 * progress line on standard error. They open the database as {@code create} does ({@link OfflineDatabase}):
 * an external PostgreSQL as configured, or the embedded one of the data directory, the one a running
 * server started if there is one (found through its {@code postmaster.pid}), else one started for the
 * command and stopped at its end.
 *
 * <pre>
 * events-server [config.json] import &lt;Entity&gt; &lt;file.ndjson|-&gt; [--mode skip|atomic]
 * events-server [config.json] export &lt;Entity&gt; [file|-] [--filter ...] [--sort ...] [--search ...] [--full_match]
 * </pre>
 *
 * Exit codes: 0 done (every line stored); 1 some lines failed (the summary on standard output lists them)
 * or the work failed on the way (the database went away); 2 a usage, configuration, entity, file or
 * query mistake, found before any work.
 */
final class BulkCommands {

    static final Set<String> COMMANDS = Set.of("import", "export");
    private static final String IMPORT_USAGE =
            "usage: events-server [config.json] import <Entity> <file.ndjson|-> [--mode skip|atomic]";
    private static final String EXPORT_USAGE = "usage: events-server [config.json] export <Entity> [file|-] "
            + "[--filter ...] [--sort ...] [--search ...] [--full_match]";
    private static final Set<String> EXPORT_OPTIONS = Set.of("filter", "sort", "search", "full_match");
    private static final int READ_BUFFER = 64 * 1024;
    /** Documents taken from the stream at a time while exporting. */
    private static final int EXPORT_PREFETCH = 500;
    private static final Duration COUNT_TIMEOUT = Duration.ofMinutes(10);
    /** The JSON of the NDJSON stream of {@code GET /api/{E}}, so both exports are byte for byte the same. */
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BulkCommands() {
    }

    /** Where the command word is in {@code args} ({@code [config.json] import ...}), or -1. */
    static int position(String[] args) {
        for (int i = 0; i < Math.min(2, args.length); i++) {
            if (COMMANDS.contains(args[i])) {
                return i;
            }
        }
        return -1;
    }

    /** Runs the command at {@code args[command]}; the exit code. */
    static int run(String[] args, int command, Map<String, String> environment, PrintStream out, PrintStream err,
                   Supplier<InputStream> standardInput) {
        List<String> rest = List.of(args).subList(command + 1, args.length);
        boolean importing = args[command].equals("import");
        try {
            Path configFile = command == 1 ? Path.of(args[0]) : null;
            EventsConfig config = new ConfigLoader().load(configFile, environment);
            Path configDirectory = configFile == null ? Path.of(".") : configFile.toAbsolutePath().getParent();
            Path dataDirectory = Path.of(environment.getOrDefault("EVENTS_DATA_DIR", "data/postgres"));
            Arguments arguments = Arguments.parse(rest, importing ? Set.of("mode") : EXPORT_OPTIONS);
            if (importing) {
                if (arguments.positional().size() != 2) {
                    err.println(IMPORT_USAGE);
                    return 2;
                }
                String modeText = arguments.options().getOrDefault("mode", "skip");
                ImportMode mode = ImportMode.of(modeText).orElseThrow(() -> new StartupException(
                        "--mode must be skip or atomic, not '" + modeText + "'"));
                return importFile(config, configDirectory, dataDirectory, arguments.positional().get(0),
                        arguments.positional().get(1), mode, out, err, standardInput);
            }
            if (arguments.positional().isEmpty() || arguments.positional().size() > 2) {
                err.println(EXPORT_USAGE);
                return 2;
            }
            String target = arguments.positional().size() == 2 ? arguments.positional().get(1) : "-";
            return export(config, configDirectory, dataDirectory, arguments.positional().get(0), target,
                    arguments.options(), out, err);
        } catch (StartupException e) {
            err.println("events-server: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("events-server: " + e.getMessage());
            err.println(importing ? IMPORT_USAGE : EXPORT_USAGE);
            return 2;
        }
    }

    /** Reads {@code source} (a file, or {@code -} for standard input) into {@code entityName}. */
    static int importFile(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory, String entityName,
                          String source, ImportMode mode, PrintStream out, PrintStream err,
                          Supplier<InputStream> standardInput) {
        Entity entity = entity(EventsServer.loadSchema(config, configDirectory), entityName);
        Path file = source.equals("-") ? null : Path.of(source);
        long size = file == null ? -1 : readableSize(file, source);
        ImportReport last;
        try (OfflineDatabase database = OfflineDatabase.open(config, configDirectory, dataDirectory)) {
            Progress progress = Progress.start("import " + entity.name(), size, err);
            try {
                AtomicLong read = new AtomicLong();
                Flux<DataBuffer> bytes = (file != null
                        ? DataBufferUtils.read(file, DefaultDataBufferFactory.sharedInstance, READ_BUFFER)
                        : DataBufferUtils.readInputStream(standardInput::get, DefaultDataBufferFactory.sharedInstance,
                                READ_BUFFER).subscribeOn(Schedulers.boundedElastic()))
                        .doOnNext(buffer -> progress.done(read.addAndGet(buffer.readableByteCount())));
                last = database.imports()
                        .run(Access.OPEN, entity, mode, Mono.just(NdjsonLines.split(bytes, NdjsonLines.DEFAULT_LIMIT)))
                        .flatMapMany(reports -> reports)
                        .doOnNext(report -> progress.documents(report.received()))
                        .blockLast();
            } finally {
                progress.close();
            }
        } catch (ApiException e) {
            err.println("events-server: import failed: " + e.error().entries().get(0).message()
                    + (mode == ImportMode.SKIP ? " (the batches stored before stay; an export shows them)" : ""));
            return 1;
        } catch (RuntimeException e) {
            if (!(Exceptions.unwrap(e) instanceof IOException failure)) {
                throw e;
            }
            err.println("events-server: import failed: cannot read " + source + ": " + ConfigLoader.reason(failure)
                    + (mode == ImportMode.SKIP ? " (the batches stored before stay; an export shows them)" : ""));
            return 1;
        }
        if (last == null) {
            throw new IllegalStateException("an import ends with its summary");
        }
        out.println(JSON.writeValueAsString(ImportAnswers.summary(last)));
        out.flush();
        err.println("events-server: " + last.received() + " lines read, " + last.created() + " documents created, "
                + last.failed() + " lines failed" + (last.failed() > 0 ? " (listed in the summary on standard output)" : ""));
        return last.failed() > 0 ? 1 : 0;
    }

    /** Writes the matching documents of {@code entityName} to {@code target} (a file, or {@code -}). */
    static int export(EventsConfig config, @Nullable Path configDirectory, Path dataDirectory, String entityName,
                      String target, Map<String, String> parameters, PrintStream out, PrintStream err) {
        Schema schema = EventsServer.loadSchema(config, configDirectory);
        Entity entity = entity(schema, entityName);
        ListQuery query;
        try {
            query = CommandQueries.list(schema, entity, parameters);
        } catch (ApiException e) {
            throw new StartupException(e.error().entries().get(0).message());
        }
        Path file = target.equals("-") ? null : Path.of(target);
        Path parent = file == null ? null : file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new StartupException("Cannot write " + target + ": no such directory " + parent);
        }
        try (OfflineDatabase database = OfflineDatabase.open(config, configDirectory, dataDirectory)) {
            // The size of the work, for the percentage: the match counted first (its own snapshot).
            ListQuery count = new ListQuery(new PageRequest(1, 1), true, query.sort(), query.filter(), List.of(),
                    CountMode.EXACT, query.search(), null);
            Long total = database.documents().list(entity, count)
                    .map(outcome -> outcome.pagination() == null ? null : outcome.pagination().total())
                    .block(COUNT_TIMEOUT);
            // Beside the target, with the permissions any new file gets (a temporary file's are owner-only).
            Path partial = file == null ? null
                    : parent.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".part");
            if (partial != null) {
                Files.deleteIfExists(partial);
            }
            long written = 0;
            Progress progress = Progress.start("export " + entity.name(), total == null ? -1 : total, err);
            try {
                try (OutputStream sink = new BufferedOutputStream(partial == null ? new Unclosed(out)
                        : Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        READ_BUFFER)) {
                    for (JsonNode document : blockingIterable(database.documents().stream(entity, query), EXPORT_PREFETCH)) {
                        RenderedJson rendered = RenderedJson.in(document);
                        if (rendered != null) {
                            rendered.writeUnquotedUTF8(sink);
                        } else {
                            sink.write(JSON.writeValueAsBytes(document));
                        }
                        sink.write('\n');
                        written++;
                        progress.documents(written);
                        progress.done(written);
                    }
                }
                if (partial != null) {
                    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    partial = null;
                }
            } finally {
                progress.close();
                if (partial != null) {
                    Files.deleteIfExists(partial);
                }
            }
            err.println("events-server: " + written + " documents exported"
                    + (file == null ? "" : " to " + target));
            return 0;
        } catch (ApiException e) {
            err.println("events-server: export failed: " + e.error().entries().get(0).message());
            return 1;
        } catch (IOException | UncheckedIOException e) {
            err.println("events-server: export failed: cannot write " + target + ": " + ConfigLoader.reason(
                    e instanceof UncheckedIOException unchecked ? unchecked.getCause() : (IOException) e));
            return 1;
        }
    }

    /**
     * The documents of {@code stream} for a thread that blocks on each one (the command's writer). A
     * blocking iterator takes a lock to wake its consumer on every document; taken on the driver's event
     * loop, that lock makes the loop wait whenever the consumer holds it. So the documents cross to a
     * thread that may wait ({@code boundedElastic}) before they reach the iterator. Under BlockHound the
     * loop's wait was an error, dropped inside the driver's callback, and the export hung.
     */
    static <T> Iterable<T> blockingIterable(Flux<T> stream, int prefetch) {
        return stream.publishOn(Schedulers.boundedElastic(), prefetch).toIterable(prefetch);
    }

    private static Entity entity(Schema schema, String name) {
        return schema.entity(name).orElseThrow(() -> new StartupException("Unknown entity '" + name + "'"));
    }

    /** The size of a file to import, or a clear error before anything starts. */
    private static long readableSize(Path file, String shown) {
        try {
            if (Files.isDirectory(file)) {
                throw new StartupException("Cannot read " + shown + ": it is a directory");
            }
            try (InputStream probe = Files.newInputStream(file)) {
                return Files.size(file);
            }
        } catch (NoSuchFileException e) {
            throw new StartupException("Cannot read " + shown + ": no such file");
        } catch (AccessDeniedException e) {
            throw new StartupException("Cannot read " + shown + ": permission denied");
        } catch (IOException e) {
            throw new StartupException("Cannot read " + shown + ": " + ConfigLoader.reason(e));
        }
    }

    /**
     * Log lines go to standard error while a command runs: standard output carries its data (an export,
     * a summary, a created document) and must stay parseable.
     */
    static void logToStandardError() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            Appender<ILoggingEvent> console = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("CONSOLE");
            if (console instanceof ConsoleAppender<ILoggingEvent> appender) {
                appender.stop();
                appender.setTarget("System.err");
                appender.start();
            }
        }
    }

    /** The command's words after the entity and options: positional arguments and {@code --name[=]value}. */
    record Arguments(List<String> positional, Map<String, String> options) {

        static Arguments parse(List<String> words, Set<String> known) {
            List<String> positional = new java.util.ArrayList<>();
            Map<String, String> options = new LinkedHashMap<>();
            for (int i = 0; i < words.size(); i++) {
                String word = words.get(i);
                if (!word.startsWith("--")) {
                    positional.add(word);
                    continue;
                }
                int equals = word.indexOf('=');
                String name = word.substring(2, equals < 0 ? word.length() : equals);
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name);
                }
                if (equals >= 0) {
                    options.put(name, word.substring(equals + 1));
                } else if (name.equals("full_match")) {
                    options.put(name, "true");
                } else if (i + 1 < words.size()) {
                    options.put(name, words.get(++i));
                } else {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
            }
            return new Arguments(List.copyOf(positional), Map.copyOf(options));
        }
    }

    /** Standard output that a finished export flushes but does not close. */
    private static final class Unclosed extends java.io.FilterOutputStream {
        Unclosed(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            out.write(bytes, offset, length);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
