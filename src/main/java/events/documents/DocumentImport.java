package events.documents;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

import events.auth.Access;
import events.db.AcquireBudget;
import events.db.DocumentStore;
import events.db.UnitOfWork;
import events.error.ApiError;
import events.error.ApiException;
import events.schema.Entity;
import events.schema.Field;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Import of an NDJSON stream (api.md 12.2), for {@code POST /api/{E}/_import} and the {@code import}
 * command alike. Lines are grouped into batches of up to {@value #BATCH} lines (and at most
 * {@value #BATCH_BYTES} bytes of JSON, so that a batch of long lines stays small); each batch is parsed,
 * validated and completed as a bulk create's documents are, its plain secrets hashed (one per core at a
 * time, off the event loop), then written by set-based statements ({@link UnitOfWork#insertEach}).
 *
 * <p>Memory stays constant whatever the input's size: the stream is pulled batch by batch, and at any
 * time at most a few batches exist (the one being read, one parsed ahead, the one being written).
 * Parsing happens on the parallel scheduler, so the next batch is parsed while the database writes the
 * previous one.
 *
 * <ul>
 * <li>{@link ImportMode#SKIP}: each batch in its own transaction; a bad line (syntax, over the line limit,
 * validation, foreign key, duplicate) is reported and skipped.</li>
 * <li>{@link ImportMode#ATOMIC}: one transaction for the whole input. After the batch holding the first bad
 * line writing stops; the remaining lines are still read and checked (syntax and schema; their keys are
 * not looked up), so the report lists every malformed or invalid line; then the transaction is rolled
 * back.</li>
 * </ul>
 * A secret field whose value is already a bcrypt hash is stored as it is when the importer has
 * {@code s} on the entity (a migration keeps its users' passwords); otherwise it is hashed like any
 * password.
 */
public final class DocumentImport {

    /** Lines per batch (api.md 12.2). */
    public static final int BATCH = 1000;
    /** Bytes of JSON per batch at most: a thousand lines of 1 MiB each would not fit in a small heap. */
    public static final long BATCH_BYTES = 4L * 1024 * 1024;
    /** Failed lines listed in a report; the others are counted (api.md 12.2). */
    public static final int MAX_LISTED = 1000;
    /** Distinct ignored fields named in a report; more are counted together. */
    private static final int MAX_IGNORED_FIELDS = 100;
    /** A bcrypt hash: {@code $2a$}, {@code $2b$} or {@code $2y$}, then the cost and 53 characters (api.md 12.2). */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}");
    /** Secrets hashed at once: bcrypt is CPU-bound, so about one per core. */
    private static final int HASH_CONCURRENCY = Math.max(1, Runtime.getRuntime().availableProcessors());

    private final DocumentService documents;
    private final DocumentStore store;
    private final Function<byte[], JsonNode> parser;
    private final long lineLimit;
    private final ImportMetrics metrics;

    /**
     * @param parser    reads one line strictly (UTF-8, exact numbers, no duplicate keys), failing with a
     *                  400 {@link ApiException} that says what is wrong
     * @param lineLimit the longest line read (the limit {@link NdjsonLines#split} was given)
     * @param metrics   where the imports' progress is counted
     */
    public DocumentImport(DocumentService documents, DocumentStore store, Function<byte[], JsonNode> parser,
                          long lineLimit, ImportMetrics metrics) {
        this.documents = Objects.requireNonNull(documents, "documents must not be null");
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.parser = Objects.requireNonNull(parser, "parser must not be null");
        this.lineLimit = lineLimit;
        this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
    }

    /**
     * Imports {@code input} for {@code caller}: 403 without {@code c} on the entity, before the input is
     * touched; then {@code input} is subscribed to (it may fail, e.g. with a 415) and the import runs as
     * the returned reports are consumed: one per batch, then the last one, {@code done}. Cancelling the
     * reports (a client that went away) rolls back the batch being written (in atomic mode, everything).
     */
    public Mono<Flux<ImportReport>> run(Access caller, Entity entity, ImportMode mode, Mono<Flux<NdjsonLine>> input) {
        return DocumentService.permit(caller, entity, 'c')
                .then(input)
                .map(lines -> Flux.defer(() -> {
                    Run run = new Run(entity, mode, caller.allows(entity, 's'));
                    Flux<Prepared> prepared = batches(lines)
                            .publishOn(Schedulers.parallel(), 1)
                            .map(run::prepare);
                    Flux<ImportReport> progress = mode == ImportMode.SKIP
                            ? prepared.concatMap(run::writeAlone, 1)
                            : store.inLongTransaction(uow -> prepared.concatMap(batch -> run.writeIn(uow, batch), 1)
                                            .concatWith(Mono.defer(() -> run.failed ? Mono.error(new RolledBack())
                                                    : Mono.empty())))
                                    .onErrorResume(RolledBack.class, e -> Mono.empty());
                    return progress.concatWith(Mono.fromSupplier(() -> run.summary()))
                            .doOnSubscribe(subscription -> metrics.started(entity))
                            .doFinally(signal -> run.end());
                }));
    }

    /** Consecutive lines, at most {@link #BATCH} of them and {@link #BATCH_BYTES} of JSON (a long line alone). */
    private static Flux<List<NdjsonLine>> batches(Flux<NdjsonLine> lines) {
        return Flux.defer(() -> {
            long[] size = {0, 0}; // lines, bytes of the batch being filled
            return lines.bufferUntil(line -> {
                long bytes = line.tooLong() ? 0 : line.length();
                boolean cut = size[0] > 0 && (size[0] + 1 > BATCH || size[1] + bytes > BATCH_BYTES);
                if (cut) {
                    size[0] = 0;
                    size[1] = 0;
                }
                size[0]++;
                size[1] += bytes;
                return cut;
            }, true);
        });
    }

    /** A batch parsed and checked: its documents ready to write, its failed lines, the unknown fields seen. */
    private record Prepared(int lines, List<Ready> ready, SortedMap<Long, ApiError> failures,
                            Map<String, Long> ignored) {
    }

    /** A document ready to write, from line {@code line}; {@code preHashed}: secrets kept as sent. */
    private record Ready(long line, DocumentService.NewDocument document, Set<String> preHashed) {
    }

    /** Ends an atomic import's transaction with a rollback; not an error of the import's. */
    private static final class RolledBack extends RuntimeException {
        RolledBack() {
            super("atomic import rolled back", null, false, false);
        }
    }

    /** One import's counts and report, updated batch by batch (batches are written one at a time). */
    private final class Run {

        private final Entity entity;
        private final ImportMode mode;
        private final boolean keepHashes;
        private final boolean hashes;
        private long received;
        private long created;
        private long failedLines;
        private final List<ImportReport.LineFailure> listed = new ArrayList<>();
        private long unlisted;
        private final Map<String, Long> ignored = new LinkedHashMap<>();
        private long ignoredBeyond;
        /** Atomic mode: a line failed, so nothing more is written and the transaction will be rolled back. */
        private boolean failed;
        /** Atomic mode: the lines received are counted as stored or rolled back. */
        private boolean settled;

        Run(Entity entity, ImportMode mode, boolean keepHashes) {
            this.entity = entity;
            this.mode = mode;
            this.keepHashes = keepHashes;
            this.hashes = entity.fields().stream().anyMatch(Field::hashed);
        }

        /** Parses and checks each line of a batch (pure: runs while the previous batch is written). */
        Prepared prepare(List<NdjsonLine> lines) {
            List<Ready> ready = new ArrayList<>(lines.size());
            SortedMap<Long, ApiError> failures = new TreeMap<>();
            Map<String, Long> unknown = new LinkedHashMap<>();
            for (NdjsonLine line : lines) {
                long number = line.number();
                if (line.tooLong()) {
                    failures.put(number, new ApiError.PayloadTooLarge(lineLimit, "Line"));
                    continue;
                }
                JsonNode node;
                try {
                    node = parser.apply(line.bytes());
                } catch (ApiException e) {
                    failures.put(number, e.error());
                    continue;
                }
                if (!node.isObject()) {
                    failures.put(number, new ApiError.BadRequest("Line must be a JSON object", null));
                    continue;
                }
                ObjectNode body = (ObjectNode) node;
                Set<String> preHashed = preHashed(body);
                DocumentService.NewDocument document = documents.prepareNew(entity, body, preHashed);
                document.ignored().forEach(field -> unknown.merge(field, 1L, Long::sum));
                if (!document.errors().isEmpty()) {
                    failures.put(number, new ApiError.ValidationFailed(ImportReport.LineFailure.key(number),
                            document.errors()));
                    continue;
                }
                ready.add(new Ready(number, document, preHashed));
            }
            return new Prepared(lines.size(), ready, failures, unknown);
        }

        /** The secret fields of {@code body} that hold a bcrypt hash to keep: only for importers with {@code s}. */
        private Set<String> preHashed(ObjectNode body) {
            if (!keepHashes || !hashes) {
                return Set.of();
            }
            Set<String> kept = new HashSet<>();
            for (Field field : entity.fields()) {
                JsonNode value = body.get(field.name());
                if (field.hashed() && value != null && value.isString() && BCRYPT.matcher(value.asString()).matches()) {
                    kept.add(field.name());
                }
            }
            return kept;
        }

        /** Skip mode: the batch's documents in a transaction of their own. */
        Mono<ImportReport> writeAlone(Prepared batch) {
            if (batch.ready().isEmpty()) {
                return Mono.fromSupplier(() -> record(batch, null));
            }
            // Each batch waits for its connection as long as a request would, however many came before.
            return hash(batch)
                    .then(Mono.defer(() -> store.inTransaction(uow -> insert(uow, batch)).single()))
                    .contextWrite(context -> context.delete(AcquireBudget.class))
                    .map(inserted -> record(batch, inserted));
        }

        /**
         * Atomic mode: the batch's documents in the one transaction, up to the batch in which a line fails
         * (its good lines are still written, so that their keys are checked too, and rolled back later).
         */
        Mono<ImportReport> writeIn(UnitOfWork uow, Prepared batch) {
            if (failed || batch.ready().isEmpty()) {
                failed |= !batch.failures().isEmpty();
                return Mono.fromSupplier(() -> record(batch, null));
            }
            return hash(batch).then(Mono.defer(() -> insert(uow, batch))).map(inserted -> {
                failed |= !batch.failures().isEmpty() || !inserted.failures().isEmpty();
                return record(batch, inserted);
            });
        }

        private Mono<UnitOfWork.Inserted> insert(UnitOfWork uow, Prepared batch) {
            List<UnitOfWork.NewDocument> rows = new ArrayList<>(batch.ready().size());
            List<String> keys = new ArrayList<>(batch.ready().size());
            for (Ready ready : batch.ready()) {
                rows.add(new UnitOfWork.NewDocument(ready.document().id(), ready.document().data()));
                keys.add(ImportReport.LineFailure.key(ready.line()));
            }
            return uow.insertEach(entity, rows, keys);
        }

        /** Plain secrets hashed, one per core at a time, off the event loop; hashes being kept are left. */
        private Mono<Void> hash(Prepared batch) {
            if (!hashes) {
                return Mono.empty();
            }
            return Flux.fromIterable(batch.ready())
                    .flatMap(ready -> documents.hashSecrets(entity, ready.document().data(), ready.preHashed()),
                            HASH_CONCURRENCY)
                    .then();
        }

        /** Counts a written (or, with null, unwritten) batch and lists its failed lines. */
        private ImportReport record(Prepared batch, UnitOfWork.Inserted inserted) {
            SortedMap<Long, ApiError> failures = new TreeMap<>(batch.failures());
            if (inserted != null) {
                inserted.failures().forEach((index, error) -> failures.put(batch.ready().get(index).line(), error));
                created += inserted.count();
                if (mode == ImportMode.SKIP) { // committed (atomic: see summary and end)
                    metrics.lines(entity, ImportMetrics.Outcome.STORED, inserted.count());
                }
            }
            received += batch.lines();
            failedLines += failures.size();
            metrics.received(entity, batch.lines());
            metrics.lines(entity, ImportMetrics.Outcome.FAILED, failures.size());
            failures.forEach((line, error) -> {
                if (listed.size() < MAX_LISTED) {
                    listed.add(new ImportReport.LineFailure(line, error));
                } else {
                    unlisted++;
                }
            });
            batch.ignored().forEach((field, count) -> {
                if (ignored.containsKey(field) || ignored.size() < MAX_IGNORED_FIELDS) {
                    ignored.merge(field, count, Long::sum);
                } else {
                    ignoredBeyond += count;
                }
            });
            return ImportReport.progress(received, created, failedLines);
        }

        /**
         * The import is over (done, failed or cancelled): no longer running; an atomic import that did not
         * reach its summary (its transaction did not commit) rolled back every good line received.
         */
        void end() {
            if (mode == ImportMode.ATOMIC && !settled) {
                settled = true;
                metrics.lines(entity, ImportMetrics.Outcome.ROLLED_BACK, received - failedLines);
            }
            metrics.ended(entity);
        }

        /** The last report: everything listed, and what belongs to no line. The atomic transaction has committed. */
        ImportReport summary() {
            List<Notifications.Warning> warnings = new ArrayList<>();
            ignored.forEach((field, count) -> {
                String shown = field.length() > 40 ? field.substring(0, 40) + "..." : field;
                warnings.add(new Notifications.Warning("ignored", "Field '" + shown + "' is not in the schema and was "
                        + "ignored (" + count + (count == 1 ? " line)" : " lines)"), entity.name(), null, field));
            });
            if (ignoredBeyond > 0) {
                warnings.add(new Notifications.Warning("ignored", ignoredBeyond + " more fields not in the schema were "
                        + "ignored", entity.name(), null, null));
            }
            if (unlisted > 0) {
                warnings.add(new Notifications.Warning("request", unlisted + " more failed lines are not listed "
                        + "(the first " + MAX_LISTED + " are)", entity.name(), null, null));
            }
            long stored = created;
            if (mode == ImportMode.ATOMIC) {
                settled = true;
                metrics.lines(entity, failed ? ImportMetrics.Outcome.ROLLED_BACK : ImportMetrics.Outcome.STORED,
                        received - failedLines);
            }
            if (mode == ImportMode.ATOMIC && failed) {
                stored = 0;
                warnings.add(new Notifications.Warning("request", "Nothing was stored: the import is atomic and "
                        + failedLines + (failedLines == 1 ? " line" : " lines") + " failed", entity.name(), null, null));
            }
            return new ImportReport(received, stored, failedLines, true, listed, unlisted, warnings);
        }
    }
}
